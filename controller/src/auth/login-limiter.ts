// Login throttling: failures are counted per key (a username, a source address) within a
// window; a key that reaches the limit is locked out for a while. An attempt takes its slot
// before the password is checked (`begin` is synchronous), so attempts still being checked count
// too: concurrent guesses cannot all pass the check before the first failure is recorded. In
// memory: a restart forgets, which only ever favours a legitimate user.
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
  /** Attempts begun and not yet settled: each may still become a failure. */
  pending: number;
}

/** One login attempt holding a slot on its username and its source until it settles. */
export interface LoginAttempt {
  /** The password was wrong (or the user unknown): counts as a failure on both keys. */
  fail(now: number): void;
  /** The password was right: the user's failures are forgotten. */
  succeed(): void;
  /** Neither (the check itself broke): frees the slots without counting. Idempotent. */
  abandon(): void;
}

export class LoginLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly policies: { user: LimitPolicy; source: LimitPolicy }) {}

  /**
   * Reserves a slot for an attempt, or throws TooManyRequests (retryAfterS in details) when
   * either key is locked out or its failures plus the attempts in flight reach the limit.
   */
  begin(username: string, source: string, now: number): LoginAttempt {
    const user = `u:${username}`;
    const src = `s:${source}`;
    const waitMs = Math.max(this.blockedFor(user, this.policies.user, now), this.blockedFor(src, this.policies.source, now));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new BerthError('TooManyRequests', `too many failed logins: try again in ${seconds} s`, undefined, { retryAfterS: seconds });
    }
    this.state(user).pending++;
    this.state(src).pending++;
    let settled = false;
    const settle = (at: number, then: () => void) => {
      if (settled) return;
      settled = true;
      this.state(user).pending--;
      this.state(src).pending--;
      then();
      this.forgetIfIdle(user, at);
      this.forgetIfIdle(src, at);
    };
    return {
      fail: (at) =>
        settle(at, () => {
          this.record(user, this.policies.user, at);
          this.record(src, this.policies.source, at);
        }),
      succeed: () => settle(now, () => Object.assign(this.state(user), { failures: [], lockedUntil: 0 })),
      abandon: () => settle(now, () => undefined),
    };
  }

  /** How long the key must wait: its lockout, or a moment while attempts in flight fill its budget. */
  private blockedFor(key: string, policy: LimitPolicy, now: number): number {
    const s = this.keys.get(key);
    if (!s) return 0;
    if (s.lockedUntil > now) return s.lockedUntil - now;
    const recent = s.failures.filter((t) => t > now - policy.windowMs).length;
    // The attempts in flight settle within a second or so; then the lockout (if any) is known.
    return recent + s.pending >= policy.maxFailures ? 1000 : 0;
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) this.keys.set(key, (s = { failures: [], lockedUntil: 0, pending: 0 }));
    return s;
  }

  private record(key: string, policy: LimitPolicy, now: number): void {
    const state = this.state(key);
    state.failures = [...state.failures.filter((t) => t > now - policy.windowMs), now];
    if (state.failures.length >= policy.maxFailures) {
      state.lockedUntil = now + policy.lockoutMs;
      state.failures = [];
    }
    if (this.keys.size > 10_000) for (const k of [...this.keys.keys()]) this.forgetIfIdle(k, now);
  }

  // Bounds memory under a spray of usernames: a key neither locked, busy nor recently failed
  // holds nothing worth keeping.
  private forgetIfIdle(key: string, now: number): void {
    const s = this.keys.get(key);
    const windowMs = Math.max(this.policies.user.windowMs, this.policies.source.windowMs);
    if (s && s.lockedUntil <= now && s.pending === 0 && s.failures.every((t) => t <= now - windowMs)) this.keys.delete(key);
  }
}
