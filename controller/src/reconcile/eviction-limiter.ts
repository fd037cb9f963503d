// How fast NotReady nodes may be emptied, after Kubernetes' node lifecycle controller: at the
// normal rate while few nodes are down; much slower once a large share of the cluster is
// NotReady at once (more likely the controller's own network than that many machines); not at
// all when every node is down. A token bucket per mode; pure apart from the clock it is given.
export interface DisruptionPolicy {
  /** Share of NotReady nodes from which the cluster counts as disrupted (k8s: 0.55). */
  unhealthyThreshold: number;
  /** Node evacuations per second while healthy. */
  normalRate: number;
  /** Node evacuations per second while disrupted. */
  disruptedRate: number;
}

export const DEFAULT_DISRUPTION_POLICY: DisruptionPolicy = { unhealthyThreshold: 0.55, normalRate: 20, disruptedRate: 1 / 60 };

export type DisruptionMode = 'normal' | 'disrupted' | 'full';

/** Pure: the mode for `notReady` of `total` nodes. A lone node is never "disrupted". */
export function disruptionMode(notReady: number, total: number, policy: DisruptionPolicy): DisruptionMode {
  if (total <= 1 || notReady === 0) return 'normal';
  if (notReady >= total) return 'full';
  return notReady / total >= policy.unhealthyThreshold ? 'disrupted' : 'normal';
}

export class EvictionLimiter {
  private tokens: number;
  private at: number;

  constructor(
    private readonly policy: DisruptionPolicy,
    now: number,
  ) {
    this.tokens = Math.max(1, policy.normalRate);
    this.at = now;
  }

  /** Takes a token for one node evacuation; otherwise says how long to wait and why. */
  take(notReady: number, total: number, now: number): { ok: true } | { ok: false; retryAfterMs: number; mode: DisruptionMode } {
    const mode = disruptionMode(notReady, total, this.policy);
    const rate = mode === 'normal' ? this.policy.normalRate : mode === 'disrupted' ? this.policy.disruptedRate : 0;
    const burst = Math.max(1, rate);
    this.tokens = Math.min(burst, this.tokens + ((now - this.at) / 1000) * rate);
    this.at = now;
    if (rate > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    // With no rate at all, look again later: the share of NotReady nodes may have changed.
    const retryAfterMs = rate > 0 ? Math.ceil(((1 - this.tokens) / rate) * 1000) : 10_000;
    return { ok: false, retryAfterMs, mode };
  }
}
