// When a failed delivery is tried again: exponential backoff from `baseMs`, capped, for at most
// `maxAttempts` attempts in all, with up to `jitter` of each delay added at random so that many
// deliveries failing together do not retry in lockstep.

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
  /** Fraction of the delay added at random (0: none). */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 10_000, capMs: 3_600_000, maxAttempts: 8, jitter: 0.1 };

export type RetryDecision = { retry: true; at: number } | { retry: false };

/** After `attempts` failed attempts (1 = the first failed), at `now`. `random` in [0, 1). */
export function planRetry(attempts: number, now: number, policy: RetryPolicy, random: number): RetryDecision {
  if (attempts >= policy.maxAttempts) return { retry: false };
  const delay = Math.min(policy.capMs, policy.baseMs * 2 ** (attempts - 1));
  return { retry: true, at: now + Math.round(delay * (1 + policy.jitter * random)) };
}

/** 2xx is delivered; anything else (or no answer) is retried. */
export const delivered = (statusCode: number | undefined): boolean => statusCode !== undefined && statusCode >= 200 && statusCode < 300;
