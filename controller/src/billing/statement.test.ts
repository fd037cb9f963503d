import { describe, expect, it } from 'vitest';
import { billedHours, costCents } from './cost.ts';
import { buildStatement, hoursInMonth, monthOf, parseMonth, type StatementItem } from './statement.ts';

const HOUR = 3_600_000;
const jan = parseMonth('2026-01')!;
const feb = parseMonth('2026-02')!;
const later = Date.UTC(2026, 5, 1);

function item(startedAt: number, hours: number, extra: Partial<StatementItem> = {}): StatementItem {
  return {
    reservation: 'r',
    uid: 'u',
    image: 'web',
    milliCores: 2000,
    rateCentsPerCoreHour: 50,
    startedAt,
    endAt: startedAt + hours * HOUR,
    endedAt: null,
    ...extra,
  };
}

describe('monthly statements', () => {
  it('parses YYYY-MM into UTC month bounds and refuses anything else', () => {
    expect(jan).toEqual({ key: '2026-01', start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 1, 1) });
    expect(parseMonth('2026-13')).toBeUndefined();
    expect(parseMonth('2026-1')).toBeUndefined();
    expect(parseMonth("2026-01'; DROP TABLE")).toBeUndefined();
    expect(monthOf(Date.UTC(2026, 1, 28, 23, 59)).key).toBe('2026-02');
  });

  it('puts each whole-hour unit in the month it begins, so months add up to the total', () => {
    // Runs from 22:30 on Jan 31st for 3.5 h: units begin 22:30 and 23:30 (January), 00:30 and 01:30 (February).
    const r = item(Date.UTC(2026, 0, 31, 22, 30), 3.5);
    expect(hoursInMonth(r, jan, later)).toBe(2);
    expect(hoursInMonth(r, feb, later)).toBe(2);
    expect(hoursInMonth(r, jan, later) + hoursInMonth(r, feb, later)).toBe(billedHours(r, later));
    const janBill = buildStatement(jan, [r], later);
    const febBill = buildStatement(feb, [r], later);
    expect(janBill.totalCents + febBill.totalCents).toBe(costCents(r, later));
    expect(janBill.lines[0]).toMatchObject({ hours: 2, cents: 2 * 2 * 50 });
  });

  it('splits a sub-cent remainder between months so they still add up to the rounded total', () => {
    // 0.25 core at 50 cents: 12.5 cents per hour. 3 hours across the boundary: 37.5 -> 38 in total.
    const r = item(Date.UTC(2026, 0, 31, 22, 30), 3, { milliCores: 250 });
    const janBill = buildStatement(jan, [r], later);
    const febBill = buildStatement(feb, [r], later);
    expect(costCents(r, later)).toBe(38);
    expect(janBill.lines[0]).toMatchObject({ cores: 0.25, hours: 2, cents: 25 });
    expect(febBill.lines[0]).toMatchObject({ cores: 0.25, hours: 1, cents: 13 });
    expect(janBill.totalCents + febBill.totalCents).toBe(38);
  });

  it('shows half a core as 0.5 on the statement line and bills it exactly', () => {
    const r = item(Date.UTC(2026, 0, 10), 3, { milliCores: 500 });
    expect(buildStatement(jan, [r], later)).toMatchObject({ totalCents: 75, lines: [{ cores: 0.5, hours: 3, cents: 75 }] });
  });

  it('bills a reservation deleted early in its month up to the deletion only', () => {
    const start = Date.UTC(2026, 0, 10);
    const r = item(start, 10, { endedAt: start + 61 * 60_000 });
    expect(buildStatement(jan, [r], later)).toMatchObject({ totalCents: 2 * 2 * 50, lines: [{ hours: 2 }] });
    expect(buildStatement(feb, [r], later).lines).toEqual([]);
  });

  it('leaves out reservations that never ran and counts a live one so far', () => {
    const start = Date.UTC(2026, 0, 10);
    const never = item(start, 5, { startedAt: null, reservation: 'never' });
    const live = item(start, 5, { reservation: 'live' });
    const s = buildStatement(jan, [never, live], start + 90 * 60_000);
    expect(s.lines.map((l) => [l.reservation, l.hours])).toEqual([['live', 2]]);
    expect(s.totalCents).toBe(200);
  });
});
