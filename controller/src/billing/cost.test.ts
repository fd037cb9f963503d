import { describe, expect, it } from 'vitest';
import { billedHours, costCents } from './cost.ts';

const MIN = 60_000;
const base = { startedAt: 0, endAt: 10 * 60 * MIN, endedAt: null, cores: 1, rateCentsPerCoreHour: 50 };

describe('billing', () => {
  it('rounds held time up to whole hours', () => {
    expect(billedHours({ ...base, endedAt: 59 * MIN }, 999 * MIN)).toBe(1);
    expect(billedHours({ ...base, endedAt: 60 * MIN }, 999 * MIN)).toBe(1);
    expect(billedHours({ ...base, endedAt: 61 * MIN }, 999 * MIN)).toBe(2);
  });

  it('multiplies hours by cores and the rate in cents', () => {
    expect(costCents({ ...base, cores: 2, endedAt: 61 * MIN }, 999 * MIN)).toBe(200);
  });

  it('costs nothing when the container never ran', () => {
    expect(costCents({ ...base, startedAt: null, endedAt: 30 * MIN }, 999 * MIN)).toBe(0);
  });

  it('stops at the scheduled end and counts live time so far', () => {
    expect(billedHours(base, 999 * MIN)).toBe(10);
    expect(billedHours(base, 90 * MIN)).toBe(2);
  });

  it('bills a reservation deleted early only up to its deletion', () => {
    expect(billedHours({ ...base, endedAt: 150 * MIN }, 999 * MIN)).toBe(3);
    expect(costCents({ ...base, cores: 2, endedAt: 150 * MIN }, 999 * MIN)).toBe(3 * 2 * 50);
  });

  it('bills nothing when deleted before the container first ran', () => {
    expect(billedHours({ ...base, startedAt: null, endedAt: 5 * MIN }, 999 * MIN)).toBe(0);
  });

  it('uses the image rate when one is given', () => {
    expect(costCents({ ...base, cores: 2, rateCentsPerCoreHour: 120, endedAt: 59 * MIN }, 999 * MIN)).toBe(240);
  });
});
