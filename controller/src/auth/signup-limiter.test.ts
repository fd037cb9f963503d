import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { SignupLimiter } from './signup-limiter.ts';

function refusal(fn: () => unknown): BerthError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
}

describe('SignupLimiter', () => {
  it('allows max signups per source in the window, then says when to try again', () => {
    const limiter = new SignupLimiter({ max: 2, windowMs: 60_000 });
    for (const t of [0, 10_000]) limiter.reserve('1.2.3.4', t).keep(t);
    const err = refusal(() => limiter.reserve('1.2.3.4', 20_000));
    expect(err?.code).toBe('TooManyRequests');
    expect(err?.message).toBe('too many signups from this address: try again in 40 s');
    expect(err?.details).toEqual({ retryAfterS: 40 });
    expect(refusal(() => limiter.reserve('5.6.7.8', 20_000))).toBeUndefined(); // another source
    expect(refusal(() => limiter.reserve('1.2.3.4', 60_001))).toBeUndefined(); // the first one left the window
  });

  it('counts signups in flight, so concurrent requests cannot exceed the limit', () => {
    const limiter = new SignupLimiter({ max: 10, windowMs: 3_600_000 });
    const slots = Array.from({ length: 10 }, () => limiter.reserve('ip', 0));
    // 20 more arrive while the first 10 are still hashing their passwords.
    for (let i = 0; i < 20; i++) expect(refusal(() => limiter.reserve('ip', 0))?.details).toEqual({ retryAfterS: 1 });
    for (const s of slots) s.keep(5);
    expect(refusal(() => limiter.reserve('ip', 10))?.details).toEqual({ retryAfterS: 3600 });
  });

  it('gives the slot back when no account was created, and keeps or releases a slot once', () => {
    const limiter = new SignupLimiter({ max: 1, windowMs: 60_000 });
    const failed = limiter.reserve('ip', 0);
    failed.release();
    failed.keep(0); // already settled: not counted
    const created = limiter.reserve('ip', 0);
    created.keep(0);
    created.release(); // already kept: still counted
    expect(refusal(() => limiter.reserve('ip', 0))?.code).toBe('TooManyRequests');
  });
});
