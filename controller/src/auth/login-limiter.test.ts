import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { LoginLimiter } from './login-limiter.ts';

const policy = { maxFailures: 3, windowMs: 60_000, lockoutMs: 30_000 };

function retryAfter(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('TooManyRequests');
    return ((err as BerthError).details as { retryAfterS?: number } | undefined)?.retryAfterS;
  }
}

describe('login limiter', () => {
  it('locks a user out after repeated failures and says when to try again', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    for (let i = 0; i < 3; i++) {
      l.check('ann', 'ip1', 1000);
      l.fail('ann', 'ip1', 1000);
    }
    expect(retryAfter(() => l.check('ann', 'ip2', 1000))).toBe(30);
    expect(retryAfter(() => l.check('ann', 'ip2', 21_000))).toBe(10);
    expect(() => l.check('ann', 'ip1', 1000)).toThrow(/try again in 30 s/);
    expect(retryAfter(() => l.check('bob', 'ip1', 1000))).toBeUndefined();
    expect(retryAfter(() => l.check('ann', 'ip1', 31_000))).toBeUndefined();
  });

  it('locks a source out across usernames', () => {
    const l = new LoginLimiter({ user: { ...policy, maxFailures: 100 }, source: policy });
    for (const user of ['a', 'b', 'c']) l.fail(user, 'ip9', 0);
    expect(retryAfter(() => l.check('d', 'ip9', 0))).toBe(30);
    expect(retryAfter(() => l.check('d', 'ip8', 0))).toBeUndefined();
  });

  it('forgets failures outside the window and after a success', () => {
    const l = new LoginLimiter({ user: policy, source: { ...policy, maxFailures: 100 } });
    l.fail('ann', 's', 0);
    l.fail('ann', 's', 1);
    l.fail('ann', 's', 70_000); // the first two fell out of the window
    expect(retryAfter(() => l.check('ann', 's', 70_000))).toBeUndefined();
    l.fail('ann', 's', 70_001);
    l.succeed('ann');
    l.fail('ann', 's', 70_002);
    expect(retryAfter(() => l.check('ann', 's', 70_002))).toBeUndefined();
  });
});
