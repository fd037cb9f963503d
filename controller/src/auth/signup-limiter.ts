// Signup throttling: at most `max` accounts created from one source address per window, so a
// single client cannot mint accounts (and their quotas) in bulk. A signup takes its slot before
// the password is hashed (`reserve` is synchronous), so signups still in flight count too and
// concurrent requests cannot all pass the check. In memory, like login throttling.
import { BerthError } from '../errors/index.ts';

export interface SignupPolicy {
  max: number;
  windowMs: number;
}

export const DEFAULT_SIGNUP_LIMIT: SignupPolicy = { max: 10, windowMs: 3_600_000 };

/** A signup holding a slot of its source until it is kept (account created) or released. */
export interface SignupSlot {
  /** The account was created: the slot counts for the rest of the window. */
  keep(now: number): void;
  /** No account was created: the slot is free again. Idempotent. */
  release(): void;
}

export class SignupLimiter {
  private readonly created = new Map<string, number[]>();
  private readonly pending = new Map<string, number>();

  constructor(private readonly policy: SignupPolicy) {}

  /** Takes a slot, or throws TooManyRequests (retryAfterS in details) when the window is used up. */
  reserve(source: string, now: number): SignupSlot {
    const recent = this.recent(source, now);
    const inFlight = this.pending.get(source) ?? 0;
    if (recent.length + inFlight >= this.policy.max) {
      // With slots only in flight, the next answer is known within a second or so.
      const waitMs = recent.length >= this.policy.max ? recent[0] + this.policy.windowMs - now : 1000;
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new BerthError('TooManyRequests', `too many signups from this address: try again in ${seconds} s`, undefined, { retryAfterS: seconds });
    }
    this.pending.set(source, inFlight + 1);
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      const left = (this.pending.get(source) ?? 1) - 1;
      if (left > 0) this.pending.set(source, left);
      else this.pending.delete(source);
      return true;
    };
    return {
      keep: (at) => {
        if (settle()) this.record(source, at);
      },
      release: () => {
        settle();
      },
    };
  }

  private record(source: string, now: number): void {
    this.created.set(source, [...this.recent(source, now), now]);
    if (this.created.size > 10_000) for (const [s] of this.created) if (this.recent(s, now).length === 0) this.created.delete(s);
  }

  private recent(source: string, now: number): number[] {
    return (this.created.get(source) ?? []).filter((t) => t > now - this.policy.windowMs);
  }
}
