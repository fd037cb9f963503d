import { describe, expect, it } from 'vitest';
import { DEFAULT_DISRUPTION_POLICY, disruptionMode, EvictionLimiter } from './eviction-limiter.ts';

const policy = { unhealthyThreshold: 0.55, normalRate: 10, disruptedRate: 0.1 };

describe('disruptionMode', () => {
  it('is normal while fewer than the threshold share of nodes are NotReady', () => {
    expect(disruptionMode(1, 2, policy)).toBe('normal');
    expect(disruptionMode(100, 1000, policy)).toBe('normal');
    expect(disruptionMode(549, 1000, policy)).toBe('normal');
  });

  it('is disrupted from the threshold on, and full when every node is NotReady', () => {
    expect(disruptionMode(550, 1000, policy)).toBe('disrupted');
    expect(disruptionMode(2, 3, policy)).toBe('disrupted');
    expect(disruptionMode(3, 3, policy)).toBe('full');
  });

  it('never calls a single-node cluster disrupted', () => {
    expect(disruptionMode(1, 1, DEFAULT_DISRUPTION_POLICY)).toBe('normal');
  });
});

describe('EvictionLimiter', () => {
  it('lets a 10 % node loss through at the normal rate', () => {
    const limiter = new EvictionLimiter(policy, 0);
    let granted = 0;
    for (let t = 0; t <= 10_000; t += 100) if (limiter.take(100, 1000, t).ok) granted++;
    expect(granted).toBeGreaterThanOrEqual(100);
  });

  it('slows evictions to the disrupted rate when most nodes go NotReady at once', () => {
    const limiter = new EvictionLimiter(policy, 0);
    let granted = 0;
    for (let t = 0; t <= 10_000; t += 100) if (limiter.take(700, 1000, t).ok) granted++;
    // one token in hand plus 0.1/s over 10 s
    expect(granted).toBeLessThanOrEqual(2);
    const refused = limiter.take(700, 1000, 10_050);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.mode).toBe('disrupted');
  });

  it('evicts nothing while every node is NotReady', () => {
    const limiter = new EvictionLimiter(policy, 0);
    const r = limiter.take(5, 5, 1000);
    expect(r).toEqual({ ok: false, retryAfterMs: 10_000, mode: 'full' });
  });
});
