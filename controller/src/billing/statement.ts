// Monthly statements (pure). A reservation's billed hours are whole-hour units counted from the
// moment it first ran: unit k covers [startedAt + k h, startedAt + (k+1) h) and belongs to the
// UTC month in which it begins. So every unit lands in exactly one month, and the months of a
// reservation add up to its total, also when it spans a month boundary. Money follows the same
// rule: a month is charged the reservation's rounded-up cost of its hours up to the month's end
// minus that of its hours before the month, so a sub-cent remainder is paid once, in the month
// where the running total crosses the cent, and the months add up to costCents() exactly.
import { coresOf } from '../manifests/quantity.ts';
import { billedHours, centsForHours, type BillableWindow } from './cost.ts';

const HOUR_MS = 3_600_000;
const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface Month {
  key: string; // YYYY-MM
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

export function parseMonth(key: string): Month | undefined {
  const m = MONTH_RE.exec(key);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  return { key, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

export function monthOf(epochMs: number): Month {
  const d = new Date(epochMs);
  const key = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  return parseMonth(key)!;
}

/** The window's billed hour units [first, last) that begin inside the month. */
function unitsInMonth(w: BillableWindow, month: Month, now: number): { first: number; last: number } {
  const total = billedHours(w, now);
  if (total === 0 || w.startedAt === null) return { first: 0, last: 0 };
  // Units k with startedAt + k*H in [month.start, month.end), for 0 <= k < total.
  const first = Math.min(total, Math.max(0, Math.ceil((month.start - w.startedAt) / HOUR_MS)));
  const last = Math.max(first, Math.min(total, Math.ceil((month.end - w.startedAt) / HOUR_MS)));
  return { first, last };
}

/** Billed hours of the window whose hour unit begins inside the month. */
export function hoursInMonth(w: BillableWindow, month: Month, now: number): number {
  const { first, last } = unitsInMonth(w, month, now);
  return last - first;
}

/** The month's share of the reservation's cost: its running total at the month's end minus before. */
export function centsInMonth(w: BillableWindow, month: Month, now: number): number {
  const { first, last } = unitsInMonth(w, month, now);
  return centsForHours(last, w.milliCores, w.rateCentsPerCoreHour) - centsForHours(first, w.milliCores, w.rateCentsPerCoreHour);
}

export interface StatementItem extends BillableWindow {
  reservation: string;
  uid: string;
  image: string;
}

export interface StatementLine {
  reservation: string;
  uid: string;
  image: string;
  /** As a number of cores (0.5), for people; the amount is computed from millicores. */
  cores: number;
  rateCentsPerCoreHour: number;
  hours: number;
  cents: number;
}

export interface Statement {
  month: string;
  lines: StatementLine[];
  totalCents: number;
  currency: 'USD';
}

export function buildStatement(month: Month, items: StatementItem[], now: number): Statement {
  const lines = items
    .map((it) => {
      const hours = hoursInMonth(it, month, now);
      const cents = centsInMonth(it, month, now);
      return {
        reservation: it.reservation,
        uid: it.uid,
        image: it.image,
        cores: coresOf(it.milliCores),
        rateCentsPerCoreHour: it.rateCentsPerCoreHour,
        hours,
        cents,
      };
    })
    .filter((l) => l.hours > 0);
  return { month: month.key, lines, totalCents: lines.reduce((s, l) => s + l.cents, 0), currency: 'USD' };
}
