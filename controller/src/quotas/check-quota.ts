// Quota decisions (pure): what a customer may hold, given what they already hold.
import { coresOf, formatDurationMs } from '../manifests/index.ts';
import { sweepPeak } from '../scheduler/window-stats.ts';
import { longestFrom, overloaded, spanOf, startsAvoiding, type StartInterval } from '../scheduler/feasible-starts.ts';
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

/**
 * Starts in [lo, hi] at which a window of `durationMs` with `milliCores` keeps the owner within
 * `maxCores` concurrent cores, given what they hold: the maxCores check solved for the start.
 */
export function coresQuotaStarts(held: Interval[], maxCores: number, milliCores: number, lo: number, hi: number, durationMs: number): StartInterval[] {
  const span = spanOf(lo, hi, durationMs);
  const busy = overloaded(
    held.map((h) => ({ ...h, memoryMiB: 0 })),
    span,
    { milliCores: maxCores * 1000, memoryMiB: Number.POSITIVE_INFINITY },
    { milliCores, memoryMiB: 0 },
  );
  return startsAvoiding(busy, lo, hi, durationMs);
}

/**
 * The starts the concurrent-count quotas allow (maxReservations, maxPublicPorts): the same
 * peak-over-the-window rule as maxCores, counted in units instead of millicores.
 */
export function countQuotaStarts(quota: Quota, held: Interval[], publicPorts: number, lo: number, hi: number, durationMs: number): StartInterval[][] {
  const limits: StartInterval[][] = [];
  if (quota.maxReservations !== undefined)
    limits.push(
      coresQuotaStarts(
        held.map((h) => ({ ...h, milliCores: 1000 })),
        quota.maxReservations,
        1000,
        lo,
        hi,
        durationMs,
      ),
    );
  if (quota.maxPublicPorts !== undefined && publicPorts > 0) {
    const ports = held.map((h) => ({ ...h, milliCores: (h.publicPorts ?? 0) * 1000 }));
    limits.push(coresQuotaStarts(ports, quota.maxPublicPorts, publicPorts * 1000, lo, hi, durationMs));
  }
  return limits;
}

/** Whether any quota counts the user's held reservations (so they must be read). */
export const quotaCountsHeld = (quota: Quota): boolean =>
  quota.maxCores !== undefined || quota.maxReservations !== undefined || quota.maxPublicPorts !== undefined;

/** How long a window with `milliCores` starting at `start` keeps within maxCores (up to maxMs). */
export function coresQuotaLongest(held: Interval[], maxCores: number, milliCores: number, start: number, maxMs: number): number {
  const span = { start, end: start + maxMs };
  const busy = overloaded(
    held.map((h) => ({ ...h, memoryMiB: 0 })),
    span,
    { milliCores: maxCores * 1000, memoryMiB: Number.POSITIVE_INFINITY },
    { milliCores, memoryMiB: 0 },
  );
  return Math.min(maxMs, longestFrom(busy, start));
}

/**
 * How many more copies of the request the quotas let the owner hold at once over its window
 * (Infinity when none limits it), and the quota that binds: checkQuota counted instead of tested
 * once. Copies span the same window, so each adds the same cores, count and ports at every instant.
 */
export function quotaRoom(quota: Quota, req: QuotaRequest, held: Interval[]): { count: number; quota?: keyof Quota } {
  if (quota.maxDurationMs !== undefined && req.end - req.start > quota.maxDurationMs) return { count: 0, quota: 'maxDurationMs' };
  if (quota.maxAdvanceMs !== undefined && req.start - req.now > quota.maxAdvanceMs) return { count: 0, quota: 'maxAdvanceMs' };
  let room: { count: number; quota?: keyof Quota } = { count: Number.POSITIVE_INFINITY };
  const bind = (name: keyof Quota, count: number) => {
    if (count < room.count) room = { count: Math.max(0, count), quota: name };
  };
  if (quota.maxCores !== undefined) bind('maxCores', Math.floor((quota.maxCores * 1000 - peakMilliCores(held, req.start, req.end)) / req.milliCores));
  if (quota.maxReservations !== undefined) bind('maxReservations', quota.maxReservations - peakCount(held, req.start, req.end));
  const ports = req.publicPorts ?? 0;
  if (quota.maxPublicPorts !== undefined && ports > 0) {
    bind('maxPublicPorts', Math.floor((quota.maxPublicPorts - peakCount(held, req.start, req.end, (i) => i.publicPorts ?? 0)) / ports));
  }
  return room;
}
