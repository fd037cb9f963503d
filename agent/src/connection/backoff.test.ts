import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const policy = { initialMs: 200, maxMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, policy, top)).toBe(199);
    expect(backoffDelay(1, policy, top)).toBe(399);
    expect(backoffDelay(3, policy, top)).toBe(1599);
    expect(backoffDelay(50, policy, top)).toBe(9999);
  });

  it('spreads delays over the whole range below the ceiling (full jitter)', () => {
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
    expect(backoffDelay(4, policy, () => 0.5)).toBe(1600);
  });
});
