import { describe, expect, it } from 'vitest';
import { delivered, planRetry, type RetryPolicy } from './retry-plan.ts';

const policy: RetryPolicy = { baseMs: 10_000, capMs: 60_000, maxAttempts: 5, jitter: 0.1 };

describe('planRetry', () => {
  it('doubles the delay per failed attempt from the base, up to the cap', () => {
    const delays = [1, 2, 3, 4].map((n) => {
      const d = planRetry(n, 0, policy, 0);
      return d.retry ? d.at : undefined;
    });
    expect(delays).toEqual([10_000, 20_000, 40_000, 60_000]);
  });

  it('gives up after maxAttempts attempts in all', () => {
    expect(planRetry(5, 0, policy, 0)).toEqual({ retry: false });
    expect(planRetry(4, 0, policy, 0).retry).toBe(true);
  });

  it('adds at most the jitter fraction of the delay', () => {
    expect(planRetry(1, 1000, policy, 0.999)).toEqual({ retry: true, at: 1000 + 10_999 });
  });
});

describe('delivered', () => {
  it('counts only 2xx answers', () => {
    expect([200, 204, 299].map(delivered)).toEqual([true, true, true]);
    expect([undefined, 199, 301, 404, 500].map(delivered)).toEqual([false, false, false, false, false]);
  });
});
