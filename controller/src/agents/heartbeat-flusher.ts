// Stores the heartbeats held in memory at a coarse interval, so that the store's lastHeartbeat is
// never older than that interval (what another controller and a restarted one go by) while the
// store sees a handful of statements per interval, not one per node: beats are stored rounded
// down to the second, so every node that beat within the same second shares one updateMany
// (1,000 nodes beating every 5 s fall into at most 5 such seconds of their latest beats: a few
// statements per flush instead of 1,000). Rounding down keeps the stored beat a lower bound.
// The metrics that ride on beats change every beat and only matter to readers without the live
// copy, so a node's are stored at most once per metricsIntervalMs, each node's own values for up
// to METRICS_BATCH nodes in one statement (store/update-rows.ts).
import type { Logger } from 'pino';
import { updateRows, type PrismaClient as Db, type Provider } from '../store/index.ts';
import type { LiveNode } from './agent-hub.ts';

const METRICS_BATCH = 400;
const SECOND = 1000;

export interface FlushPlan {
  /** Stored lastHeartbeat (epoch ms, whole seconds) → the nodes that take it. */
  beats: Map<number, string[]>;
  /** Nodes whose metrics are stored in this flush. */
  metrics: Array<{ id: string; metrics: Record<string, number> }>;
}

/** Pure: what a flush writes, given the live beats and what was stored before. */
export function planFlush(
  live: ReadonlyMap<string, LiveNode>,
  stored: ReadonlyMap<string, { beatAt: number; metricsAt: number }>,
  now: number,
  metricsIntervalMs: number,
): FlushPlan {
  const plan: FlushPlan = { beats: new Map(), metrics: [] };
  for (const [id, n] of live) {
    const before = stored.get(id);
    const second = Math.floor(n.beatAt / SECOND) * SECOND;
    if (second > (before?.beatAt ?? -1)) plan.beats.set(second, [...(plan.beats.get(second) ?? []), id]);
    const hasMetrics = Object.keys(n.metrics).length > 0;
    if (hasMetrics && now - (before?.metricsAt ?? Number.NEGATIVE_INFINITY) >= metricsIntervalMs) plan.metrics.push({ id, metrics: n.metrics });
  }
  return plan;
}

export class HeartbeatFlusher {
  private readonly stored = new Map<string, { beatAt: number; metricsAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly provider: Provider,
    private readonly live: () => ReadonlyMap<string, LiveNode>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly metricsIntervalMs = 60_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Writes every heartbeat newer (to the second) than the one stored for its node. */
  flush(): Promise<void> {
    this.running = this.running.then(async () => {
      const now = this.now();
      const plan = planFlush(this.live(), this.stored, now, this.metricsIntervalMs);
      await this.write('heartbeats', plan.beats.size, async () => {
        await this.db.$transaction(
          [...plan.beats].map(([at, ids]) => this.db.node.updateMany({ where: { id: { in: ids } }, data: { lastHeartbeat: new Date(at) } })),
        );
        for (const [at, ids] of plan.beats) for (const id of ids) this.remember(id, { beatAt: at });
      });
      for (let i = 0; i < plan.metrics.length; i += METRICS_BATCH) {
        const batch = plan.metrics.slice(i, i + METRICS_BATCH);
        await this.write('node metrics', batch.length, async () => {
          await updateRows(this.db, this.provider, {
            table: 'Node',
            columns: [{ name: 'metrics', type: 'json' }],
            rows: batch.map(({ id, metrics }) => ({ id, values: [metrics] })),
          });
          for (const { id } of batch) this.remember(id, { metricsAt: now });
        });
        await new Promise<void>((resolve) => setImmediate(resolve)); // heartbeats and /healthz first
      }
    });
    return this.running;
  }

  private remember(id: string, change: Partial<{ beatAt: number; metricsAt: number }>): void {
    this.stored.set(id, { beatAt: -1, metricsAt: Number.NEGATIVE_INFINITY, ...this.stored.get(id), ...change });
  }

  private async write(what: string, count: number, fn: () => Promise<void>): Promise<void> {
    if (count === 0) return;
    try {
      await fn();
    } catch (err) {
      this.log.warn({ err, count, what }, 'flush not stored');
    }
  }
}
