import { describe, expect, it } from 'vitest';
import type { HourAvailability } from './calendar-strip.ts';
import { durationUntil, nextSelection, pickToForm } from './slot-pick.ts';

const H = 3_600_000;
const T0 = Date.parse('2030-01-01T10:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const hours = (fits: number[]): HourAvailability[] => fits.map((f, i) => ({ start: iso(T0 + i * H), end: iso(T0 + (i + 1) * H), fits: f }));

describe('nextSelection', () => {
  const strip = hours([1, 2, 2, 0, 3, 3]);

  it('selects a free hour, and a later free hour after it extends the selection', () => {
    const one = nextSelection(strip, undefined, 1);
    expect(one).toEqual({ first: 1, last: 1 });
    expect(nextSelection(strip, one, 2)).toEqual({ first: 1, last: 2 });
  });

  it('starts over on a click before the selection, after a run, or across a full hour', () => {
    expect(nextSelection(strip, { first: 2, last: 2 }, 0)).toEqual({ first: 0, last: 0 });
    expect(nextSelection(strip, { first: 0, last: 2 }, 2)).toEqual({ first: 2, last: 2 });
    expect(nextSelection(strip, { first: 1, last: 1 }, 4)).toEqual({ first: 4, last: 4 });
  });

  it('ignores a full hour or one outside the strip: the selection stays', () => {
    expect(nextSelection(strip, { first: 1, last: 2 }, 3)).toEqual({ first: 1, last: 2 });
    expect(nextSelection(strip, undefined, 3)).toBeUndefined();
    expect(nextSelection(strip, undefined, 99)).toBeUndefined();
  });
});

describe('pickToForm', () => {
  it('gives a later run its start and whole duration', () => {
    expect(pickToForm(hours([1, 1, 1, 1]), { first: 1, last: 3 }, T0 - 5 * 60_000)).toEqual({ start: iso(T0 + H), end: T0 + 4 * H, duration: '3h' });
  });

  it('leaves the start empty (now) for the hour under way and counts the duration from now, never past the run', () => {
    const strip = hours([1, 1]);
    strip[0].start = iso(T0 + 20 * 60_000);
    const now = T0 + 20 * 60_000 + 30_000;
    expect(pickToForm(strip, { first: 0, last: 1 }, now)).toEqual({ end: T0 + 2 * H, duration: '1h39m' });
  });
});

describe('durationUntil', () => {
  it('writes whole minutes as the API reads them, at least one', () => {
    expect(durationUntil(2 * H, 0)).toBe('2h');
    expect(durationUntil(45 * 60_000, 0)).toBe('45m');
    expect(durationUntil(H + 61_000, 0)).toBe('1h1m');
    expect(durationUntil(30_000, 0)).toBe('1m');
  });
});
