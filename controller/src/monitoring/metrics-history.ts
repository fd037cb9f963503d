// Pure: node metric samples folded into 1-minute buckets, and the retention policy that folds
// 1-minute buckets older than the window into 1-hour buckets and drops what is too old.
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface Bucket {
  nodeId: string;
  /** seconds: 60 or 3600 */
  resolution: number;
  /** bucket start, epoch ms */
  at: number;
  samples: number;
  load1: number;
  cpuPercent: number;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
}

export interface StoredBucket extends Bucket {
  id: number;
}

export interface Sample {
  nodeId: string;
  at: number;
  load1: number;
  cpuPercent: number;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
}

export interface RetentionPolicy {
  /** 1-minute buckets are kept this long (default 15 days)... */
  minuteRetentionMs: number;
  /** ...and the 1-hour buckets they fold into this long. */
  hourRetentionMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { minuteRetentionMs: 15 * DAY, hourRetentionMs: 400 * DAY };

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

/** Weighted by sample count, so merging in any order gives the same mean. */
export function merge(a: Bucket, b: Omit<Bucket, 'nodeId' | 'resolution' | 'at'>): Bucket {
  const n = a.samples + b.samples;
  // Rounded so stored values are stable and comparable; far below what a chart can show.
  const avg = (x: number, y: number) => Math.round(((x * a.samples + y * b.samples) / n) * 1e4) / 1e4;
  return {
    ...a,
    samples: n,
    load1: avg(a.load1, b.load1),
    cpuPercent: avg(a.cpuPercent, b.cpuPercent),
    memoryTotalMiB: Math.round(avg(a.memoryTotalMiB, b.memoryTotalMiB)),
    memoryUsedMiB: Math.round(avg(a.memoryUsedMiB, b.memoryUsedMiB)),
  };
}

/** The 1-minute bucket after adding one sample to it (or a new bucket). */
export function foldSample(existing: Bucket | undefined, s: Sample): Bucket {
  const one = { samples: 1, load1: s.load1, cpuPercent: s.cpuPercent, memoryTotalMiB: s.memoryTotalMiB, memoryUsedMiB: s.memoryUsedMiB };
  if (existing) return merge(existing, one);
  return { nodeId: s.nodeId, resolution: 60, at: floorTo(s.at, MINUTE), ...one };
}

export interface RetentionPlan {
  /** ids of rows to remove: folded minutes and expired hours */
  deleteIds: number[];
  /** hour buckets to write (replacing the stored row with the same node and hour, if any) */
  upsert: Bucket[];
}

/**
 * Minute buckets older than the minute window fold into their hour (together with the hour
 * bucket already stored, so compaction can run any number of times); hour buckets older than the
 * hour window are dropped. Converged input plans nothing.
 */
export function planRetention(rows: StoredBucket[], now: number, policy: RetentionPolicy = DEFAULT_RETENTION): RetentionPlan {
  const minuteCutoff = now - policy.minuteRetentionMs;
  const hourCutoff = now - policy.hourRetentionMs;
  const deleteIds: number[] = [];
  const hours = new Map<string, Bucket>();
  const key = (nodeId: string, at: number) => `${nodeId}@${at}`;
  const expired = (at: number) => at + HOUR <= hourCutoff;
  for (const r of rows) if (r.resolution === 3600 && !expired(r.at)) hours.set(key(r.nodeId, r.at), r);
  const touched = new Set<string>();
  for (const r of rows) {
    if (r.resolution === 3600) {
      if (expired(r.at)) deleteIds.push(r.id);
      continue;
    }
    if (r.at + MINUTE > minuteCutoff) continue; // still inside the 1-minute window
    deleteIds.push(r.id);
    const hourAt = floorTo(r.at, HOUR);
    if (expired(hourAt)) continue;
    const k = key(r.nodeId, hourAt);
    const base = hours.get(k);
    hours.set(k, base ? merge(base, r) : { ...pick(r), resolution: 3600, at: hourAt });
    touched.add(k);
  }
  const upsert = [...touched].map((k) => pick(hours.get(k)!)).sort((a, b) => a.at - b.at || a.nodeId.localeCompare(b.nodeId));
  return { deleteIds: deleteIds.sort((a, b) => a - b), upsert };
}

function pick(b: Bucket): Bucket {
  const { nodeId, resolution, at, samples, load1, cpuPercent, memoryTotalMiB, memoryUsedMiB } = b;
  return { nodeId, resolution, at, samples, load1, cpuPercent, memoryTotalMiB, memoryUsedMiB };
}
