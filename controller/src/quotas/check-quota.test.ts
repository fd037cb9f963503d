import { describe, expect, it } from 'vitest';
import { checkQuota, effectiveQuota, peakCores } from './check-quota.ts';

const H = 3_600_000;
const now = 0;

describe('quotas', () => {
  it('lets the per-user override win over the defaults field by field', () => {
    expect(effectiveQuota({ maxCores: 4, maxDurationMs: H }, { maxCores: 8 })).toEqual({ maxCores: 8, maxDurationMs: H });
    expect(effectiveQuota({ maxCores: 4 }, 'garbage')).toEqual({ maxCores: 4 });
  });

  it('counts concurrent cores at the busiest instant of the new window only', () => {
    const held = [{ start: 0, end: 2 * H, cores: 2 }, { start: 3 * H, end: 5 * H, cores: 3 }, { start: 4 * H, end: 6 * H, cores: 1 }];
    expect(peakCores(held, 0, 10 * H)).toBe(4);
    expect(peakCores(held, 2 * H, 3 * H)).toBe(0);
    expect(peakCores(held, H, 4 * H)).toBe(3);
  });

  it('refuses more concurrent cores than allowed and names maxCores', () => {
    const held = [{ start: 0, end: 2 * H, cores: 3 }];
    expect(checkQuota({ maxCores: 4 }, { start: H, end: 3 * H, cores: 1, now }, held)).toBeUndefined();
    const v = checkQuota({ maxCores: 4 }, { start: H, end: 3 * H, cores: 2, now }, held);
    expect(v?.quota).toBe('maxCores');
    expect(v?.message).toMatch(/maxCores.*4.*5/);
    // Back to back windows do not overlap.
    expect(checkQuota({ maxCores: 4 }, { start: 2 * H, end: 3 * H, cores: 4, now }, held)).toBeUndefined();
  });

  it('refuses windows longer than maxDuration and starts further ahead than maxAdvance', () => {
    expect(checkQuota({ maxDurationMs: 24 * H }, { start: 0, end: 25 * H, cores: 1, now }, [])).toMatchObject({ quota: 'maxDurationMs', message: expect.stringContaining('1d') });
    expect(checkQuota({ maxDurationMs: 24 * H }, { start: 0, end: 24 * H, cores: 1, now }, [])).toBeUndefined();
    expect(checkQuota({ maxAdvanceMs: 48 * H }, { start: 49 * H, end: 50 * H, cores: 1, now }, [])).toMatchObject({ quota: 'maxAdvanceMs' });
    expect(checkQuota({}, { start: 900 * H, end: 2000 * H, cores: 99, now }, [])).toBeUndefined();
  });
});
