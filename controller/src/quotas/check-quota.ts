// Quota decisions (pure): what a customer may hold, given what they already hold.
import { coresOf, formatDurationMs } from '../manifests/index.ts';
import { sweepPeak } from '../scheduler/window-stats.ts';
import type { Quota } from './types.ts';
import { QUOTA_KEYS } from './types.ts';

export interface Interval {
  start: number;
  end: number;
  /** CPU in whole millicores, so sums of fractions compare exactly. */
  milliCores: number;
  /** Published ports (the admitted image's); 0 when absent. */
  publicPorts?: number;
}

export interface QuotaRequest extends Interval {
  now: number;
}

export interface QuotaViolation {
  quota: keyof Quota;
  message: string;
}

/** The user's own override wins per field over the configured defaults; null clears a default. */
export function effectiveQuota(defaults: Quota, override: unknown): Quota {
  const out: Quota = { ...defaults };
  const o = (override && typeof override === 'object' ? override : {}) as Record<string, unknown>;
  for (const key of QUOTA_KEYS) {
    if (o[key] === null) delete out[key];
    else if (typeof o[key] === 'number') out[key] = o[key] as number;
  }
  return out;
}

/** Highest sum of millicores committed at any instant of [start, end) by the given intervals. */
export function peakMilliCores(intervals: Interval[], start: number, end: number): number {
  const inside = intervals.filter((i) => i.start < end && i.end > start).map((i) => ({ ...i, memoryMiB: 0 }));
  return sweepPeak(inside, { start, end }).milliCores; // the scheduler's peak, over cores only
}

/** Highest number of the intervals (or of their ports, by `weight`) live at any instant of [start, end). */
export function peakCount(intervals: Interval[], start: number, end: number, weight: (i: Interval) => number = () => 1): number {
  const inside = intervals.filter((i) => i.start < end && i.end > start).map((i) => ({ ...i, milliCores: weight(i), memoryMiB: 0 }));
  return sweepPeak(inside, { start, end }).milliCores;
}

/** The first quota the request breaks, or undefined. `held` excludes the request itself. */
export function checkQuota(quota: Quota, req: QuotaRequest, held: Interval[]): QuotaViolation | undefined {
  const duration = req.end - req.start;
  if (quota.maxDurationMs !== undefined && duration > quota.maxDurationMs) {
    return {
      quota: 'maxDurationMs',
      message: `quota maxDuration exceeded: a reservation may last at most ${formatDurationMs(quota.maxDurationMs)}, this one lasts ${formatDurationMs(duration)}`,
    };
  }
  const advance = req.start - req.now;
  if (quota.maxAdvanceMs !== undefined && advance > quota.maxAdvanceMs) {
    return {
      quota: 'maxAdvanceMs',
      message: `quota maxAdvance exceeded: a reservation may start at most ${formatDurationMs(quota.maxAdvanceMs)} ahead, this one starts ${formatDurationMs(advance)} ahead`,
    };
  }
  if (quota.maxCores !== undefined) {
    // The quota is whole cores (as users set it); the comparison is in millicores, exactly.
    const total = peakMilliCores(held, req.start, req.end) + req.milliCores;
    if (total > quota.maxCores * 1000) {
      return { quota: 'maxCores', message: `quota maxCores exceeded: at most ${quota.maxCores} concurrent cores, this window would hold ${coresOf(total)}` };
    }
  }
  return countViolation(quota, req, held);
}

/** maxReservations and maxPublicPorts: at the busiest instant of the window, the new one included. */
function countViolation(quota: Quota, req: QuotaRequest, held: Interval[]): QuotaViolation | undefined {
  if (quota.maxReservations !== undefined) {
    const total = peakCount(held, req.start, req.end) + 1;
    if (total > quota.maxReservations) {
      return {
        quota: 'maxReservations',
        message: `quota maxReservations exceeded: at most ${quota.maxReservations} concurrent reservations, this window would hold ${total}`,
      };
    }
  }
  const ports = req.publicPorts ?? 0;
  if (quota.maxPublicPorts !== undefined && ports > 0) {
    const total = peakCount(held, req.start, req.end, (i) => i.publicPorts ?? 0) + ports;
    if (total > quota.maxPublicPorts) {
      return {
        quota: 'maxPublicPorts',
        message: `quota maxPublicPorts exceeded: at most ${quota.maxPublicPorts} concurrent published ports, this window would hold ${total}`,
      };
    }
  }
  return undefined;
}
