/** Per-customer limits; a missing field means "no limit" (after defaults are merged). */
export interface Quota {
  maxCores?: number;
  maxDurationMs?: number;
  maxAdvanceMs?: number;
}

export const QUOTA_KEYS = ['maxCores', 'maxDurationMs', 'maxAdvanceMs'] as const;
