/** Per-customer limits; a missing field means "no limit" (after defaults are merged). */
export interface Quota {
  maxCores?: number;
  maxDurationMs?: number;
  maxAdvanceMs?: number;
  /** Live reservations at the busiest instant of a window (tiny millicore ones add up too). */
  maxReservations?: number;
  /** Published (public) ports of those reservations at the busiest instant. */
  maxPublicPorts?: number;
}

export const QUOTA_KEYS = ['maxCores', 'maxDurationMs', 'maxAdvanceMs', 'maxReservations', 'maxPublicPorts'] as const;
