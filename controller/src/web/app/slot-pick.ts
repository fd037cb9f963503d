// Picking hours on the strip: a click selects a free hour; a click on a later free hour right
// after that extends the selection to it when every hour between is free too. The selection
// becomes the reserve form's start and duration. Pure.
import type { HourAvailability } from './calendar-strip.ts';

/** Indices into the strip's hours, first to last, inclusive. */
export interface Selection {
  first: number;
  last: number;
}

/** A start this close to now is "now": the hour under way, which the form leaves empty. */
const NOW_SLACK_MS = 60_000;

export function nextSelection(hours: readonly HourAvailability[], current: Selection | undefined, clicked: number): Selection | undefined {
  if (!(hours[clicked]?.fits > 0)) return current;
  if (current && current.first === current.last && clicked > current.first && allFree(hours, current.first, clicked)) {
    return { first: current.first, last: clicked };
  }
  return { first: clicked, last: clicked };
}

function allFree(hours: readonly HourAvailability[], from: number, to: number): boolean {
  for (let i = from; i <= to; i++) if (!(hours[i].fits > 0)) return false;
  return true;
}

/**
 * The form's values for a selection: `start` undefined for the hour under way (the form's "empty
 * = now"), and the duration to the end of the last hour, in whole minutes, never past it.
 */
export function pickToForm(hours: readonly HourAvailability[], sel: Selection, now: number): { start?: string; end: number; duration: string } {
  const start = Date.parse(hours[sel.first].start);
  const end = Date.parse(hours[sel.last].end);
  const fromNow = start <= now + NOW_SLACK_MS;
  return { ...(fromNow ? {} : { start: hours[sel.first].start }), end, duration: durationUntil(end, fromNow ? now : start) };
}

/** "2h", "1h40m", "45m": from `from` to `end`, rounded down to the minute (at least 1m). */
export function durationUntil(end: number, from: number): string {
  const minutes = Math.max(1, Math.floor((end - from) / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}`;
}
