import { describe, expect, it } from 'vitest';
import { cellTitle, level, stripDays, type HourAvailability } from './calendar-strip.ts';
import { utcTime } from './local-time.testkit.ts';

const H = 3_600_000;
const T0 = Date.parse('2030-01-01T22:00:00Z'); // a Tuesday, 22:00 UTC
const iso = (t: number) => new Date(t).toISOString();
const hoursFrom = (start: number, fits: number[]): HourAvailability[] =>
  fits.map((f, i) => ({
    start: iso(start + i * H),
    end: iso(start + (i + 1) * H),
    fits: f,
    ...(f ? {} : { reason: 'full: no node has 1 core and 1024Mi free for the whole hour' }),
  }));

describe('stripDays', () => {
  it('puts each local day on a row, its first cell in the column of its hour', () => {
    const days = stripDays(hoursFrom(T0, [4, 4, 4, 4, 4]), utcTime);
    expect(days.map((d) => [d.label, d.lead, d.cells.length])).toEqual([
      ['Tue 1 Jan', 22, 2],
      ['Wed 2 Jan', 0, 3],
    ]);
    expect(days[1].cells.map((c) => [c.index, c.hour])).toEqual([
      [2, 0],
      [3, 1],
      [4, 2],
    ]);
  });

  it('starts the hour under way at now, in the column of its hour', () => {
    const hours = hoursFrom(T0, [2, 2]);
    hours[0].start = iso(T0 + 40 * 60_000); // 22:40
    const [day] = stripDays(hours, utcTime);
    expect(day.lead).toBe(22);
    expect(day.cells[0]).toMatchObject({ hour: 22, title: 'Tue 1 Jan 22:40–23:00: 2 more fit' });
  });

  it('marks full hours not free and says why; shows counts above 9 as 9+', () => {
    const [day] = stripDays(hoursFrom(T0 - 10 * H, [0, 1, 3, 12]), utcTime);
    expect(day.cells.map((c) => [c.free, c.level, c.text])).toEqual([
      [false, 'full', '0'],
      [true, 'low', '1'],
      [true, 'some', '3'],
      [true, 'many', '9+'],
    ]);
    expect(day.cells[0].title).toBe('Tue 1 Jan 12:00–13:00: not free (full: no node has 1 core and 1024Mi free for the whole hour)');
    expect(day.cells[1].title).toBe('Tue 1 Jan 13:00–14:00: 1 more fits');
  });

  it('is empty for no hours', () => {
    expect(stripDays([], utcTime)).toEqual([]);
  });
});

describe('level and cellTitle', () => {
  it('grade counts and name a full hour without a reason plainly', () => {
    expect([0, 1, 2, 3, 4, 100].map(level)).toEqual(['full', 'low', 'some', 'some', 'many', 'many']);
    expect(cellTitle('Mon 1 Jan', '10:00', '11:00', 0)).toBe('Mon 1 Jan 10:00–11:00: not free (full)');
  });
});
