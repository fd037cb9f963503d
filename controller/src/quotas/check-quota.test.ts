import { describe, expect, it } from 'vitest';
import { checkQuota, effectiveQuota, peakMilliCores, quotaRoom } from './check-quota.ts';

const H = 3_600_000;
const now = 0;

describe('quotas', () => {
  it('lets the per-user override win over the defaults field by field', () => {
    expect(effectiveQuota({ maxCores: 4, maxDurationMs: H }, { maxCores: 8 })).toEqual({ maxCores: 8, maxDurationMs: H });
    expect(effectiveQuota({ maxCores: 4 }, 'garbage')).toEqual({ maxCores: 4 });
  });

  it('counts concurrent cores at the busiest instant of the new window only', () => {
    const held = [
      { start: 0, end: 2 * H, milliCores: 2000 },
      { start: 3 * H, end: 5 * H, milliCores: 3000 },
      { start: 4 * H, end: 6 * H, milliCores: 1000 },
    ];
    expect(peakMilliCores(held, 0, 10 * H)).toBe(4000);
    expect(peakMilliCores(held, 2 * H, 3 * H)).toBe(0);
    expect(peakMilliCores(held, H, 4 * H)).toBe(3000);
  });

  it('refuses more concurrent cores than allowed and names maxCores', () => {
    const held = [{ start: 0, end: 2 * H, milliCores: 3000 }];
    expect(checkQuota({ maxCores: 4 }, { start: H, end: 3 * H, milliCores: 1000, now }, held)).toBeUndefined();
    const v = checkQuota({ maxCores: 4 }, { start: H, end: 3 * H, milliCores: 2000, now }, held);
    expect(v?.quota).toBe('maxCores');
    expect(v?.message).toMatch(/maxCores.*4.*5/);
    // Back to back windows do not overlap.
    expect(checkQuota({ maxCores: 4 }, { start: 2 * H, end: 3 * H, milliCores: 4000, now }, held)).toBeUndefined();
  });

  it('counts half cores exactly against a whole-core quota: two 0.5 fit in 1 core, a third does not', () => {
    const half = (start: number) => ({ start, end: start + 2 * H, milliCores: 500 });
    expect(checkQuota({ maxCores: 1 }, { ...half(0), now }, [])).toBeUndefined();
    expect(checkQuota({ maxCores: 1 }, { ...half(0), now }, [half(0)])).toBeUndefined();
    const third = checkQuota({ maxCores: 1 }, { ...half(0), now }, [half(0), half(0)]);
    expect(third).toMatchObject({ quota: 'maxCores', message: 'quota maxCores exceeded: at most 1 concurrent cores, this window would hold 1.5' });
  });

  it('sums fractions exactly: 0.1 + 0.2 + 0.7 cores fill a 1-core quota to the brim, not past it', () => {
    // In floating point 0.1 + 0.2 + 0.7 is 1.0000000000000002, which would refuse the last one.
    const at = (milliCores: number) => ({ start: 0, end: H, milliCores });
    expect(checkQuota({ maxCores: 1 }, { ...at(700), now }, [at(100), at(200)])).toBeUndefined();
    expect(checkQuota({ maxCores: 1 }, { ...at(1), now }, [at(100), at(200), at(700)])).toMatchObject({
      quota: 'maxCores',
      message: expect.stringContaining('would hold 1.001'),
    });
  });

  it('refuses windows longer than maxDuration and starts further ahead than maxAdvance', () => {
    expect(checkQuota({ maxDurationMs: 24 * H }, { start: 0, end: 25 * H, milliCores: 1000, now }, [])).toMatchObject({
      quota: 'maxDurationMs',
      message: expect.stringContaining('1d'),
    });
    expect(checkQuota({ maxDurationMs: 24 * H }, { start: 0, end: 24 * H, milliCores: 1000, now }, [])).toBeUndefined();
    expect(checkQuota({ maxAdvanceMs: 48 * H }, { start: 49 * H, end: 50 * H, milliCores: 1000, now }, [])).toMatchObject({ quota: 'maxAdvanceMs' });
    expect(checkQuota({}, { start: 900 * H, end: 2000 * H, milliCores: 99000, now }, [])).toBeUndefined();
  });

  it('refuses more concurrent reservations than maxReservations, however few millicores each has', () => {
    const tiny = (start: number, end: number) => ({ start, end, milliCores: 1 });
    const held = [tiny(0, 2 * H), tiny(H, 3 * H), tiny(4 * H, 5 * H)];
    expect(checkQuota({ maxReservations: 3, maxCores: 16 }, { ...tiny(H, 2 * H), now }, held)).toBeUndefined();
    const v = checkQuota({ maxReservations: 2, maxCores: 16 }, { ...tiny(H, 2 * H), now }, held);
    expect(v).toEqual({ quota: 'maxReservations', message: 'quota maxReservations exceeded: at most 2 concurrent reservations, this window would hold 3' });
    // Only the reservations live at the same instant count: [2h, 4h) meets one of them at a time.
    expect(checkQuota({ maxReservations: 2 }, { ...tiny(2 * H, 4 * H), now }, held)).toBeUndefined();
  });

  it("refuses more concurrent published ports than maxPublicPorts, counting the new reservation's", () => {
    const withPorts = (publicPorts: number) => ({ start: 0, end: H, milliCores: 100, publicPorts });
    const held = [withPorts(10), withPorts(5), { start: 2 * H, end: 3 * H, milliCores: 100, publicPorts: 16 }];
    expect(checkQuota({ maxPublicPorts: 20 }, { ...withPorts(5), now }, held)).toBeUndefined();
    expect(checkQuota({ maxPublicPorts: 20 }, { ...withPorts(6), now }, held)).toEqual({
      quota: 'maxPublicPorts',
      message: 'quota maxPublicPorts exceeded: at most 20 concurrent published ports, this window would hold 21',
    });
    // A reservation without ports is never refused for ports.
    expect(checkQuota({ maxPublicPorts: 1 }, { ...withPorts(0), now }, held)).toBeUndefined();
  });
});

describe('quotaRoom', () => {
  const req = (milliCores: number, publicPorts = 0) => ({ start: H, end: 2 * H, milliCores, publicPorts, now });

  it('is unlimited without quotas and names the quota that binds first', () => {
    expect(quotaRoom({}, req(1000), [])).toEqual({ count: Number.POSITIVE_INFINITY });
    const held = [{ start: 0, end: 3 * H, milliCores: 1500, publicPorts: 1 }];
    expect(quotaRoom({ maxCores: 4 }, req(1000), held)).toEqual({ count: 2, quota: 'maxCores' });
    expect(quotaRoom({ maxCores: 4, maxReservations: 2 }, req(1000), held)).toEqual({ count: 1, quota: 'maxReservations' });
    expect(quotaRoom({ maxCores: 4, maxPublicPorts: 5 }, req(500, 2), held)).toEqual({ count: 2, quota: 'maxPublicPorts' });
    // Ports count only for a request that publishes some.
    expect(quotaRoom({ maxPublicPorts: 1 }, req(500, 0), held)).toEqual({ count: Number.POSITIVE_INFINITY });
  });

  it('is 0, not negative, when held reservations already exceed a lowered quota', () => {
    const held = [{ start: 0, end: 3 * H, milliCores: 6000 }];
    expect(quotaRoom({ maxCores: 4 }, req(1000), held)).toEqual({ count: 0, quota: 'maxCores' });
  });

  it('is 0 for a window longer than maxDuration or starting beyond maxAdvance', () => {
    expect(quotaRoom({ maxDurationMs: 30 * 60_000 }, req(1000), [])).toEqual({ count: 0, quota: 'maxDurationMs' });
    expect(quotaRoom({ maxAdvanceMs: 30 * 60_000 }, req(1000), [])).toEqual({ count: 0, quota: 'maxAdvanceMs' });
  });

  it('agrees with checkQuota: n copies pass, the next one is refused by the quota it names', () => {
    const quota = { maxCores: 5, maxReservations: 4, maxPublicPorts: 7 };
    const held = [
      { start: 0, end: 90 * 60_000, milliCores: 1500, publicPorts: 1 },
      { start: 100 * 60_000, end: 3 * H, milliCores: 500, publicPorts: 2 },
    ];
    for (const [milliCores, ports] of [
      [250, 0],
      [1000, 1],
      [750, 2],
      [2000, 0],
    ]) {
      const r = req(milliCores, ports);
      const room = quotaRoom(quota, r, held);
      const holding = (copies: number) => [...held, ...Array.from({ length: copies }, () => r)];
      expect(room.count).toBeGreaterThan(0);
      expect(checkQuota(quota, r, holding(room.count - 1))).toBeUndefined();
      expect(checkQuota(quota, r, holding(room.count))?.quota).toBe(room.quota);
    }
  });
});
