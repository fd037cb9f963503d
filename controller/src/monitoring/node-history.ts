// Reads a node's metric history for charts: 1-minute buckets where they exist, hours beyond.
import type { PrismaClient as Db } from '../store/index.ts';
import { DAY, HOUR } from './metrics-history.ts';

export interface HistoryPoint {
  at: string;
  resolution: number;
  cpuPercent: number;
  load1: number;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
}

export const RANGES: Record<string, number> = { '15m': 15 * 60_000, '1h': HOUR, '6h': 6 * HOUR, '24h': DAY, '7d': 7 * DAY, '15d': 15 * DAY, '90d': 90 * DAY };

export async function nodeHistory(db: Db, nodeId: string, rangeMs: number, now: number): Promise<HistoryPoint[]> {
  const rows = await db.nodeMetric.findMany({ where: { nodeId, at: { gte: new Date(now - rangeMs) } }, orderBy: { at: 'asc' } });
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
