// Effects around metrics-history.ts: samples each live node's last heartbeat into its 1-minute
// bucket on a timer, and compacts old buckets (fold into hours, drop expired) now and then.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import { withLiveHeartbeat, type LiveBeat } from './live-heartbeat.ts';
import { DEFAULT_RETENTION, foldSample, HOUR, MINUTE, planRetention, type Bucket, type RetentionPolicy, type Sample } from './metrics-history.ts';

export interface MetricsRecorderOptions {
  db: Db;
  log: Logger;
  clock: Clock;
  sampleIntervalMs?: number;
  compactIntervalMs?: number;
  /** A heartbeat older than this is not sampled (the node is down; the chart shows the gap). */
  staleAfterMs?: number;
  retention?: RetentionPolicy;
  /** The latest heartbeat held in memory, newer than the stored one. */
  live?: (nodeId: string) => LiveBeat | undefined;
  /** Called after each sampling round (live dashboards). */
  onSample?: () => void;
}

interface HeartbeatMetrics {
  memoryTotalBytes?: number;
  memoryFreeBytes?: number;
  load1?: number;
  cpuPercent?: number;
}

const MiB = 1048576;
const BATCH = 100;

/** Pure: the sample a node's stored heartbeat metrics stand for, or undefined when stale/empty. */
export function sampleOf(node: { id: string; lastHeartbeat: Date | null; metrics: unknown }, now: number, staleAfterMs: number): Sample | undefined {
  const m = (node.metrics ?? {}) as HeartbeatMetrics;
  if (!node.lastHeartbeat || now - node.lastHeartbeat.getTime() > staleAfterMs || !m.memoryTotalBytes) return undefined;
  const total = m.memoryTotalBytes / MiB;
  return {
    nodeId: node.id,
    at: now,
    load1: m.load1 ?? 0,
    cpuPercent: m.cpuPercent ?? 0,
    memoryTotalMiB: Math.round(total),
    memoryUsedMiB: Math.round(total - (m.memoryFreeBytes ?? 0) / MiB),
  };
}

export class MetricsRecorder {
  private readonly log: Logger;
  private timers: NodeJS.Timeout[] = [];
  private busy = Promise.resolve();
  private readonly current = new Map<string, Bucket>();

  constructor(private readonly opts: MetricsRecorderOptions) {
    this.log = opts.log.child({ component: 'metrics-recorder' });
  }

  start(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void this.serial(fn), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.sampleIntervalMs ?? 10_000, () => this.sample());
    every(this.opts.compactIntervalMs ?? HOUR, () => this.compact());
    void this.serial(() => this.compact());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.busy;
  }

  /** Rounds never overlap: a slow database must not make two samples fold into one bucket at once. */
  private serial(fn: () => Promise<unknown>): Promise<void> {
    this.busy = this.busy.then(fn).then(
      () => undefined,
      (err) => this.log.warn({ err }, 'metrics round failed'),
    );
    return this.busy;
  }

  /** One sampling round; returns how many nodes were sampled. */
  async sample(): Promise<number> {
    const { db, clock } = this.opts;
    const now = clock.now();
    const nodes = (await db.node.findMany({ select: { id: true, lastHeartbeat: true, metrics: true } })).map((n) =>
      withLiveHeartbeat(n, this.opts.live?.(n.id)),
    );
    const samples = nodes.map((n) => sampleOf(n, now, this.opts.staleAfterMs ?? 30_000)).filter((s): s is Sample => !!s);
    for (let i = 0; i < samples.length; i += BATCH) {
      const writes = [];
      for (const s of samples.slice(i, i + BATCH)) {
        const at = Math.floor(s.at / MINUTE) * MINUTE;
        const where = { nodeId_resolution_at: { nodeId: s.nodeId, resolution: 60, at: new Date(at) } };
        // The current minute's bucket is kept here: only the first sample of a minute reads it.
        let bucket = this.current.get(s.nodeId);
        if (bucket?.at !== at) {
          const row = await db.nodeMetric.findUnique({ where });
          bucket = row ? fromRow(row) : undefined;
        }
        const next = foldSample(bucket, s);
        this.current.set(s.nodeId, next);
        writes.push(db.nodeMetric.upsert({ where, create: toRow(next), update: toRow(next) }));
      }
      await db.$transaction(writes);
      await new Promise<void>((resolve) => setImmediate(resolve)); // heartbeats and /healthz first
    }
    this.opts.onSample?.();
    return samples.length;
  }

  /** Applies the retention plan; returns it (tests, logs). */
  async compact(): Promise<{ deleted: number; upserted: number }> {
    const { db, clock } = this.opts;
    const now = clock.now();
    const policy = this.opts.retention ?? DEFAULT_RETENTION;
    const rows = await db.nodeMetric.findMany({
      where: { OR: [{ resolution: 60, at: { lt: new Date(now - policy.minuteRetentionMs) } }, { resolution: 3600 }] },
    });
    const plan = planRetention(
      rows.map((r) => ({ id: r.id, ...fromRow(r) })),
      now,
      policy,
    );
    if (!plan.deleteIds.length && !plan.upsert.length) return { deleted: 0, upserted: 0 };
    await db.$transaction([
      ...plan.upsert.map((b) => {
        const where = { nodeId_resolution_at: { nodeId: b.nodeId, resolution: b.resolution, at: new Date(b.at) } };
        return db.nodeMetric.upsert({ where, create: toRow(b), update: toRow(b) });
      }),
      db.nodeMetric.deleteMany({ where: { id: { in: plan.deleteIds } } }),
    ]);
    this.log.info({ deleted: plan.deleteIds.length, upserted: plan.upsert.length }, 'metrics compacted');
    return { deleted: plan.deleteIds.length, upserted: plan.upsert.length };
  }
}

type Row = { nodeId: string; resolution: number; at: Date; samples: number; load1: number; cpuPercent: number; memoryTotalMiB: number; memoryUsedMiB: number };

function fromRow(r: Row): Bucket {
  return {
    nodeId: r.nodeId,
    resolution: r.resolution,
    at: r.at.getTime(),
    samples: r.samples,
    load1: r.load1,
    cpuPercent: r.cpuPercent,
    memoryTotalMiB: r.memoryTotalMiB,
    memoryUsedMiB: r.memoryUsedMiB,
  };
}

function toRow(b: Bucket): Row {
  return { ...b, at: new Date(b.at) };
}
