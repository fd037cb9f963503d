// Reads a node's metric history for charts: 1-minute buckets where they exist, hours beyond.
import type { PrismaClient as Db } from '../store/index.ts';
import { DAY, HOUR, type Bucket } from './metrics-history.ts';

export interface HistoryPoint {
  at: string;
  resolution: number;
  cpuPercent: number;
  load1: number;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
}

export const RANGES: Record<string, number> = { '15m': 15 * 60_000, '1h': HOUR, '6h': 6 * HOUR, '24h': DAY, '7d': 7 * DAY, '15d': 15 * DAY, '90d': 90 * DAY };

/** `open`: the minute the recorder still folds in memory; it stands in for a stored row of that minute. */
export async function nodeHistory(db: Db, nodeId: string, rangeMs: number, now: number, open?: Bucket): Promise<HistoryPoint[]> {
  const stored = await db.nodeMetric.findMany({ where: { nodeId, at: { gte: new Date(now - rangeMs) } }, orderBy: { at: 'asc' } });
  const rows =
    open && open.at >= now - rangeMs
      ? [...stored.filter((r) => !(r.resolution === 60 && r.at.getTime() === open.at)), { ...open, at: new Date(open.at) }]
      : stored;
  // Long ranges would carry tens of thousands of minutes; hours are plenty there.
  const resolution = rangeMs > 2 * DAY ? 3600 : 60;
  const picked = rows.filter((r) => r.resolution === resolution || (resolution === 60 && r.resolution === 3600));
  return picked.map((r) => ({
    at: r.at.toISOString(),
    resolution: r.resolution,
    cpuPercent: Math.round(r.cpuPercent * 10) / 10,
    load1: Math.round(r.load1 * 100) / 100,
    memoryUsedMiB: r.memoryUsedMiB,
    memoryTotalMiB: r.memoryTotalMiB,
  }));
}
