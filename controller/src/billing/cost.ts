// Billing math: integer cents only. ceil(hours held) x cores x rate, held from first run to
// min(end, deletion). A reservation that never ran costs nothing.
export const DEFAULT_RATE_CENTS_PER_CORE_HOUR = 50;
const HOUR_MS = 3_600_000;

export interface BillableWindow {
  startedAt: number | null; // epoch ms the container first ran
  endAt: number; // scheduled end
  endedAt: number | null; // deletion/expiry/failure time, if any
  cores: number;
  rateCentsPerCoreHour: number;
}

export function billedHours(w: BillableWindow, now: number): number {
  if (w.startedAt === null) return 0;
  const stop = Math.min(w.endAt, w.endedAt ?? Number.POSITIVE_INFINITY, now);
  const held = Math.max(0, stop - w.startedAt);
  return held === 0 ? 0 : Math.ceil(held / HOUR_MS);
}

export function costCents(w: BillableWindow, now: number): number {
  return Math.round(billedHours(w, now) * w.cores * w.rateCentsPerCoreHour);
}
