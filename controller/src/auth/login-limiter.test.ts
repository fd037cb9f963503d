import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { LoginLimiter } from './login-limiter.ts';

const policy = { maxFailures: 3, windowMs: 60_000, lockoutMs: 30_000 };

/** retryAfterS of the TooManyRequests that fn throws, or undefined when it does not throw. */
function retryAfter(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('TooManyRequests');
    return ((err as BerthError).details as { retryAfterS?: number } | undefined)?.retryAfterS;
  }
}

const wrong = (l: LoginLimiter, user: string, source: string, now: number) => l.begin(user, source, now).fail(now);

describe('login limiter', () => {
  it('locks a user out after repeated failures and says when to try again', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    for (let i = 0; i < 3; i++) wrong(l, 'ann', 'ip1', 1000);
    expect(retryAfter(() => l.begin('ann', 'ip2', 1000))).toBe(30);
    expect(retryAfter(() => l.begin('ann', 'ip2', 21_000))).toBe(10);
    expect(() => l.begin('ann', 'ip1', 1000)).toThrow(/too many failed logins: try again in 30 s/);
    expect(retryAfter(() => l.begin('bob', 'ip1', 1000))).toBeUndefined();
    expect(retryAfter(() => l.begin('ann', 'ip1', 31_000))).toBeUndefined();
  });

  it('locks a source out across usernames', () => {
    const l = new LoginLimiter({ user: { ...policy, maxFailures: 100 }, source: policy });
    for (const user of ['a', 'b', 'c']) wrong(l, user, 'ip9', 0);
    expect(retryAfter(() => l.begin('d', 'ip9', 0))).toBe(30);
    expect(retryAfter(() => l.begin('d', 'ip8', 0))).toBeUndefined();
  });

  it('counts attempts still being checked, so concurrent guesses get no more than the limit', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    // Three attempts begin before any is settled (as 40 concurrent requests would).
    const inFlight = [0, 1, 2].map(() => l.begin('ann', 'ip1', 0));
    for (let i = 0; i < 37; i++) expect(retryAfter(() => l.begin('ann', 'ip1', 0))).toBe(1);
    for (const a of inFlight) a.fail(10);
    expect(retryAfter(() => l.begin('ann', 'ip1', 10))).toBe(30); // now locked for the full lockout
  });

  it('counts in-flight attempts against the source limit too', () => {
    const l = new LoginLimiter({ user: { ...policy, maxFailures: 100 }, source: policy });
    const inFlight = ['a', 'b', 'c'].map((u) => l.begin(u, 'ip9', 0));
    expect(retryAfter(() => l.begin('d', 'ip9', 0))).toBe(1);
    for (const a of inFlight) a.abandon();
    expect(retryAfter(() => l.begin('d', 'ip9', 0))).toBeUndefined();
  });

  it('frees the slot of an attempt that succeeds or is abandoned, and settles an attempt once', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    const a = l.begin('ann', 'ip1', 0);
    a.abandon();
    a.fail(0); // already settled: not counted
    wrong(l, 'ann', 'ip1', 0);
    wrong(l, 'ann', 'ip1', 0);
    const ok = l.begin('ann', 'ip1', 0);
    ok.succeed(); // forgets ann's two failures
    wrong(l, 'ann', 'ip1', 0);
    wrong(l, 'ann', 'ip1', 0);
    expect(retryAfter(() => l.begin('ann', 'ip1', 0))).toBeUndefined();
  });

  it('forgets failures outside the window', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    wrong(l, 'ann', 's', 0);
    wrong(l, 'ann', 's', 1);
    wrong(l, 'ann', 's', 70_000); // the first two fell out of the window
    expect(retryAfter(() => l.begin('ann', 's', 70_000))).toBeUndefined();
  });
});
