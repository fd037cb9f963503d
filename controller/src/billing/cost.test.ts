import { describe, expect, it } from 'vitest';
import { billedHours, centsForHours, costCents } from './cost.ts';

const MIN = 60_000;
const base = { startedAt: 0, endAt: 10 * 60 * MIN, endedAt: null, milliCores: 1000, rateCentsPerCoreHour: 50 };

describe('billing', () => {
  it('rounds held time up to whole hours', () => {
    expect(billedHours({ ...base, endedAt: 59 * MIN }, 999 * MIN)).toBe(1);
    expect(billedHours({ ...base, endedAt: 60 * MIN }, 999 * MIN)).toBe(1);
    expect(billedHours({ ...base, endedAt: 61 * MIN }, 999 * MIN)).toBe(2);
  });

  it('multiplies hours by cores and the rate in cents', () => {
    expect(costCents({ ...base, milliCores: 2000, endedAt: 61 * MIN }, 999 * MIN)).toBe(200);
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
    expect(costCents({ ...base, milliCores: 2000, endedAt: 150 * MIN }, 999 * MIN)).toBe(3 * 2 * 50);
  });

  it('bills nothing when deleted before the container first ran', () => {
    expect(billedHours({ ...base, startedAt: null, endedAt: 5 * MIN }, 999 * MIN)).toBe(0);
  });

  it('bills half a core exactly: 0.5 core for 3 h at $0.50 is $0.75', () => {
    expect(costCents({ ...base, milliCores: 500, endedAt: 3 * 60 * MIN }, 999 * MIN)).toBe(75);
    expect(costCents({ ...base, milliCores: 250, endedAt: 60 * MIN }, 999 * MIN)).toBe(13); // 12.5 cents, rounded up
  });

  it('rounds a sub-cent remainder up once per reservation, never down to free', () => {
    // 1 millicore for 1 h at 50 cents is 0.05 cents: billed 1 cent, not 0.
    expect(costCents({ ...base, milliCores: 1, endedAt: 60 * MIN }, 999 * MIN)).toBe(1);
    // 0.001 core for 10 h is 0.5 cents in total: still 1 cent, not 1 cent per hour.
    expect(costCents({ ...base, milliCores: 1, endedAt: 10 * 60 * MIN }, 999 * MIN)).toBe(1);
    // 1.001 cores for 1 h is 50.05 cents: 51.
    expect(costCents({ ...base, milliCores: 1001, endedAt: 60 * MIN }, 999 * MIN)).toBe(51);
  });

  it('never rounds up an amount that is already whole', () => {
    for (const milliCores of [1000, 2000, 200, 600, 1400]) {
      expect(centsForHours(7, milliCores, 50)).toBe((7 * milliCores * 50) / 1000);
    }
    expect(centsForHours(720, 256_000, 1_000_000)).toBe(720 * 256 * 1_000_000);
  });

  it('uses the image rate when one is given', () => {
    expect(costCents({ ...base, milliCores: 2000, rateCentsPerCoreHour: 120, endedAt: 59 * MIN }, 999 * MIN)).toBe(240);
  });
});
