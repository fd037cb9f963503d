// Signup throttling: at most `max` accounts created from one source address per window, so a
// single client cannot mint accounts (and their quotas) in bulk. In memory, like login throttling.
import { BerthError } from '../errors/index.ts';

export interface SignupPolicy {
  max: number;
  windowMs: number;
}

export const DEFAULT_SIGNUP_LIMIT: SignupPolicy = { max: 10, windowMs: 3_600_000 };

export class SignupLimiter {
  private readonly created = new Map<string, number[]>();

  constructor(private readonly policy: SignupPolicy) {}

  /** Throws TooManyRequests (retryAfterS in details) when the source used up its window. */
  check(source: string, now: number): void {
    const recent = this.recent(source, now);
    if (recent.length < this.policy.max) return;
    const seconds = Math.max(1, Math.ceil((recent[0] + this.policy.windowMs - now) / 1000));
    throw new BerthError('TooManyRequests', `too many signups from this address: try again in ${seconds} s`, undefined, { retryAfterS: seconds });
  }

  /** Counts an account created from the source. */
  record(source: string, now: number): void {
    this.created.set(source, [...this.recent(source, now), now]);
    if (this.created.size > 10_000) for (const [s] of this.created) if (this.recent(s, now).length === 0) this.created.delete(s);
  }

  private recent(source: string, now: number): number[] {
    return (this.created.get(source) ?? []).filter((t) => t > now - this.policy.windowMs);
  }
}
