// The customer's 7-day strip, laid out: GET /availability/hours as one row per local day and one
// cell per hour, each saying how many more reservations of the chosen size fit for that whole
// hour, or why none does. Pure: the DOM side (calendar-view.ts) only draws what this returns.
import type { LocalTime } from './local-time.ts';

/** One hour as GET /api/v1/availability/hours answers it. */
export interface HourAvailability {
  start: string;
  end: string;
  fits: number;
  reason?: string;
}

export type Level = 'full' | 'low' | 'some' | 'many';

export interface StripCell {
  /** Position in the answer's `hours`: what a selection refers to. */
  index: number;
  start: string;
  end: string;
  fits: number;
  free: boolean;
  level: Level;
  /** Local hour of day of the start, 0-23: the cell's column. */
  hour: number;
  /** What the cell shows: the count, at most "9+". */
  text: string;
  /** What it says when pointed at or read out: the hour, then the count or why it is full. */
  title: string;
}

export interface StripDay {
  key: string;
  label: string;
  /** Empty columns before the first cell: the day's hours before the range began. */
  lead: number;
  cells: StripCell[];
}

export function level(fits: number): Level {
  if (fits <= 0) return 'full';
  if (fits === 1) return 'low';
  return fits <= 3 ? 'some' : 'many';
}

export function cellTitle(day: string, from: string, to: string, fits: number, reason?: string): string {
  const when = `${day} ${from}–${to}`;
  if (fits > 0) return `${when}: ${fits} more ${fits === 1 ? 'fits' : 'fit'}`;
  return `${when}: not free (${reason ?? 'full'})`;
}

export function stripDays(hours: readonly HourAvailability[], local: LocalTime): StripDay[] {
  const days: StripDay[] = [];
  hours.forEach((hr, index) => {
    const start = Date.parse(hr.start);
    const day = local.day(start);
    let row = days[days.length - 1];
    if (!row || row.key !== day.key) {
      row = { key: day.key, label: day.label, lead: local.hour(start), cells: [] };
      days.push(row);
    }
    row.cells.push({
      index,
      start: hr.start,
      end: hr.end,
      fits: hr.fits,
      free: hr.fits > 0,
      level: level(hr.fits),
      hour: local.hour(start),
      text: hr.fits > 9 ? '9+' : String(Math.max(0, hr.fits)),
      title: cellTitle(day.label, local.time(start), local.time(Date.parse(hr.end)), hr.fits, hr.reason),
    });
  });
  return days;
}
