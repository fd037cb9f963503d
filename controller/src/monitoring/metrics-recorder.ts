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
const INSERT_BATCH = 500;

/** A minute folded in memory; `stored` when it continues a row a previous run wrote. */
interface OpenBucket {
  bucket: Bucket;
  stored: boolean;
}

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
  private readonly current = new Map<string, OpenBucket>();
  /** Nodes sampled since start: only their first minute may continue a stored row. */
  private readonly seen = new Set<string>();

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

  /** Stops the timers and stores the minutes still open, so a clean stop loses no sample. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.serial(async () => {
      const open = [...this.current.values()];
      this.current.clear();
      await this.store(open);
    });
  }

  /** Rounds never overlap: a slow database must not make two samples fold into one bucket at once. */
  private serial(fn: () => Promise<unknown>): Promise<void> {
    this.busy = this.busy.then(fn).then(
      () => undefined,
      (err) => this.log.warn({ err }, 'metrics round failed'),
    );
    return this.busy;
  }

  /**
   * One sampling round; returns how many nodes were sampled. A node's current minute is folded in
   * memory (openBucket shows it) and stored once, when the minute is over: with 1,000 nodes and a
   * sample every 10 s that is ~17 rows a second in one statement per round, where an upsert per
   * sample was 100 writes and reads a second. A minute is read from the store only the first time
   * this process sees the node, to continue what a previous run stored of it.
   */
  async sample(): Promise<number> {
    const { db, clock } = this.opts;
    const now = clock.now();
    const nodes = (await db.node.findMany({ select: { id: true, lastHeartbeat: true, metrics: true } })).map((n) =>
      withLiveHeartbeat(n, this.opts.live?.(n.id)),
    );
    const samples = nodes.map((n) => sampleOf(n, now, this.opts.staleAfterMs ?? 30_000)).filter((s): s is Sample => !!s);
    const closed: OpenBucket[] = [];
    const stored = await this.storedMinutes(samples.filter((s) => !this.seen.has(s.nodeId)));
    for (const s of samples) {
      const at = Math.floor(s.at / MINUTE) * MINUTE;
      let open = this.current.get(s.nodeId);
      if (open && open.bucket.at !== at) {
        closed.push(open);
        open = undefined;
      }
      if (!open && !this.seen.has(s.nodeId)) {
        const row = stored.get(`${s.nodeId}@${at}`);
        open = row ? { bucket: fromRow(row), stored: true } : undefined;
      }
      this.seen.add(s.nodeId);
      this.current.set(s.nodeId, { bucket: foldSample(open?.bucket, s), stored: open?.stored ?? false });
    }
    // A node that stopped reporting keeps its last minute open until the minute is over.
    // (The nodes sampled above hold this minute's bucket, so none is closed twice.)
    for (const [id, open] of this.current) {
      if (open.bucket.at + MINUTE > now) continue;
      closed.push(open);
      this.current.delete(id);
    }
    await this.store(closed);
    this.opts.onSample?.();
    return samples.length;
  }

  /**
   * The stored minutes that samples of nodes first seen by this process continue, in one read
   * (a fleet that joins at once would otherwise cost a read per node), keyed nodeId@minute.
   */
  private async storedMinutes(first: Sample[]): Promise<Map<string, Row>> {
    if (first.length === 0) return new Map();
    const minutes = [...new Set(first.map((s) => Math.floor(s.at / MINUTE) * MINUTE))].map((at) => new Date(at));
    const rows = await this.opts.db.nodeMetric.findMany({ where: { resolution: 60, nodeId: { in: first.map((s) => s.nodeId) }, at: { in: minutes } } });
    return new Map(rows.map((r) => [`${r.nodeId}@${r.at.getTime()}`, r]));
  }

  /** The node's minute being folded in memory, not yet stored (the history overlays it). */
  openBucket(nodeId: string): Bucket | undefined {
    return this.current.get(nodeId)?.bucket;
  }

  /** Minutes no row holds yet go in one insert; one continued from a stored row updates it. */
  private async store(closed: OpenBucket[]): Promise<void> {
    const { db } = this.opts;
    const fresh = closed.filter((o) => !o.stored).map((o) => o.bucket);
    const continued = closed.filter((o) => o.stored).map((o) => o.bucket);
    const upsert = (b: Bucket) => {
      const where = { nodeId_resolution_at: { nodeId: b.nodeId, resolution: b.resolution, at: new Date(b.at) } };
      return db.nodeMetric.upsert({ where, create: toRow(b), update: toRow(b) });
    };
    for (let i = 0; i < fresh.length; i += INSERT_BATCH) {
      const batch = fresh.slice(i, i + INSERT_BATCH);
      try {
        await db.nodeMetric.createMany({ data: batch.map(toRow) });
      } catch (err) {
        // A row appeared meanwhile (a second controller): upsert keeps this run's minute.
        this.log.warn({ err, rows: batch.length }, 'metric minutes stored one by one');
        await db.$transaction(batch.map(upsert));
      }
      await new Promise<void>((resolve) => setImmediate(resolve)); // heartbeats and /healthz first
    }
    if (continued.length) await db.$transaction(continued.map(upsert));
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
