// Billing math: integer cents only. ceil(hours held) x cores x rate, held from first run to
// min(end, deletion). A reservation that never ran costs nothing.
//
// Cores are whole millicores, so the exact amount is hours x milliCores x rate / 1000 cents and
// may end in a fraction of a cent (0.001 core for 1 h at 50 cents = 0.05 cents). That remainder
// is rounded UP, once per reservation, to the next whole cent: a reservation that ran is never
// billed 0 and is never billed more than a cent above its exact amount. Monthly statements split
// the same rounded total between months (see statement.ts), so months still add up exactly.
export const DEFAULT_RATE_CENTS_PER_CORE_HOUR = 50;
const HOUR_MS = 3_600_000;

export interface BillableWindow {
  startedAt: number | null; // epoch ms the container first ran
  endAt: number; // scheduled end
  endedAt: number | null; // deletion/expiry/failure time, if any
  milliCores: number;
  rateCentsPerCoreHour: number;
}

export function billedHours(w: BillableWindow, now: number): number {
  if (w.startedAt === null) return 0;
  const stop = Math.min(w.endAt, w.endedAt ?? Number.POSITIVE_INFINITY, now);
  const held = Math.max(0, stop - w.startedAt);
  return held === 0 ? 0 : Math.ceil(held / HOUR_MS);
}

/** The cost of `hours` whole hours, rounded up to a whole cent. */
export function centsForHours(hours: number, milliCores: number, rateCentsPerCoreHour: number): number {
  // The product is an integer far below 2^53 (720 h x 256,000 m x 1,000,000 c), and dividing an
  // integer by 1000 in floating point lands exactly on a whole number when there is one, so
  // ceil sees the exact quotient.
  return Math.ceil((hours * milliCores * rateCentsPerCoreHour) / 1000);
}

export function costCents(w: BillableWindow, now: number): number {
  return centsForHours(billedHours(w, now), w.milliCores, w.rateCentsPerCoreHour);
}
