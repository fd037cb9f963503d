import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { SignupLimiter } from './signup-limiter.ts';

describe('SignupLimiter', () => {
  it('allows max signups per source in the window, then says when to try again', () => {
    const limiter = new SignupLimiter({ max: 2, windowMs: 60_000 });
    for (const t of [0, 10_000]) {
      limiter.check('1.2.3.4', t);
      limiter.record('1.2.3.4', t);
    }
    let err: unknown;
    try { limiter.check('1.2.3.4', 20_000); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).message).toBe('too many signups from this address: try again in 40 s');
    expect((err as BerthError).details).toEqual({ retryAfterS: 40 });
    expect(() => limiter.check('5.6.7.8', 20_000)).not.toThrow(); // another source
    expect(() => limiter.check('1.2.3.4', 60_001)).not.toThrow(); // the first one left the window
  });
});
