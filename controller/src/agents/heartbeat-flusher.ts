// Stores the heartbeats held in memory at a coarse interval, so that the store's lastHeartbeat is
// never older than that interval (what another controller and a restarted one go by) while the
// store sees one write per node per interval instead of one per heartbeat.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { LiveNode } from './agent-hub.ts';

const BATCH = 100;

export class HeartbeatFlusher {
  private readonly stored = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly live: () => ReadonlyMap<string, LiveNode>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Writes every heartbeat newer than the one stored for its node. */
  flush(): Promise<void> {
    this.running = this.running.then(async () => {
      const due = [...this.live()].filter(([id, n]) => (this.stored.get(id) ?? 0) < n.beatAt);
      for (let i = 0; i < due.length; i += BATCH) {
        const batch = due.slice(i, i + BATCH);
        try {
          await this.db.$transaction(
            batch.map(([id, n]) => this.db.node.updateMany({ where: { id }, data: { lastHeartbeat: new Date(n.beatAt), metrics: n.metrics } })),
          );
          for (const [id, n] of batch) this.stored.set(id, n.beatAt);
        } catch (err) {
          this.log.warn({ err, nodes: batch.length }, 'heartbeats not stored');
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    });
    return this.running;
  }
}
