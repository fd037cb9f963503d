// Login throttling: failures are counted per key (a username, a source address) within a
// window; a key that reaches the limit is locked out for a while. In memory: a restart forgets,
// which only ever favours a legitimate user.
import { BerthError } from '../errors/index.ts';

export interface LimitPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

export const DEFAULT_USER_LIMIT: LimitPolicy = { maxFailures: 5, windowMs: 15 * 60_000, lockoutMs: 5 * 60_000 };
export const DEFAULT_SOURCE_LIMIT: LimitPolicy = { maxFailures: 20, windowMs: 15 * 60_000, lockoutMs: 5 * 60_000 };

interface KeyState {
  failures: number[];
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly policies: { user: LimitPolicy; source: LimitPolicy }) {}

  /** Throws TooManyRequests when either key is locked out; retryAfterS in details. */
  check(username: string, source: string, now: number): void {
    const waitMs = Math.max(this.lockedFor(`u:${username}`, now), this.lockedFor(`s:${source}`, now));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new BerthError('TooManyRequests', `too many failed logins: try again in ${seconds} s`, undefined, { retryAfterS: seconds });
    }
  }

  fail(username: string, source: string, now: number): void {
    this.record(`u:${username}`, this.policies.user, now);
    this.record(`s:${source}`, this.policies.source, now);
  }

  succeed(username: string): void {
    this.keys.delete(`u:${username}`);
  }

  private lockedFor(key: string, now: number): number {
    return Math.max(0, (this.keys.get(key)?.lockedUntil ?? 0) - now);
  }

  private record(key: string, policy: LimitPolicy, now: number): void {
    const state = this.keys.get(key) ?? { failures: [], lockedUntil: 0 };
    state.failures = [...state.failures.filter((t) => t > now - policy.windowMs), now];
    if (state.failures.length >= policy.maxFailures) {
      state.lockedUntil = now + policy.lockoutMs;
      state.failures = [];
    }
    this.keys.set(key, state);
    if (this.keys.size > 10_000) this.prune(now);
  }

  // Bounds memory under a spray of usernames: forget keys neither locked nor recently failed.
  private prune(now: number): void {
    for (const [key, s] of this.keys) if (s.lockedUntil <= now && s.failures.length === 0) this.keys.delete(key);
  }
}
