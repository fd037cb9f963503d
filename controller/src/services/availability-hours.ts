// Availability by the hour, for the dashboard's 7-day strip: for each hour of the range, how many
// more reservations of one size could be admitted for that whole hour, and why none when none.
// The count is admission's own checks counted (capacity/ `fits`, quotas/ `quotaRoom`) for the
// caller, and every hour that shows room is put through admission (nothing committed) first, as
// the offers of GET /availability are. A snapshot, not a hold.
import { z } from 'zod';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { formatCores, formatDurationMs, nameSchema, reservationSpecSchema } from '../manifests/index.ts';
import { quotaCountsHeld, quotaRoom, type Interval, type Quota } from '../quotas/index.ts';
import type { Window } from '../scheduler/index.ts';
import type { ServiceContext } from './context.ts';
import { admissible, DEFAULT_RANGE_MS, resolveWant, rfc3339, type Want } from './availability.ts';
import { heldReservations, quotaOf } from './quotas.ts';

const HOUR = 3_600_000;
/** The longest from..until one call may cover: 336 hours bound its cost. */
export const MAX_HOURS_RANGE_MS = 14 * 24 * HOUR;

const querySchema = z.strictObject({
  image: nameSchema,
  profile: reservationSpecSchema.shape.profile,
  cores: reservationSpecSchema.shape.cores,
  memory: reservationSpecSchema.shape.memory,
  from: rfc3339.optional(),
  until: rfc3339.optional(),
});

export interface HourCell {
  start: number;
  end: number;
  fits: number;
  reason?: string;
}

export async function availabilityHours(ctx: ServiceContext, user: User, raw: unknown) {
  const q = parseOrInvalid(querySchema, raw ?? {}, { subject: 'query' });
  const now = ctx.clock.now();
  const from = q.from ? Date.parse(q.from) : Math.floor(now / HOUR) * HOUR;
  const until = q.until ? Date.parse(q.until) : from + DEFAULT_RANGE_MS;
  if (until <= from) throw new BerthError('Invalid', 'until: must be after from', 'until');
  if (until - from > MAX_HOURS_RANGE_MS) throw new BerthError('Invalid', 'until: from..until may span at most 14d', 'until');
  const want = await resolveWant(ctx, { ...q, duration: '1h' });
  const quota = quotaOf(ctx, user);
  const held = quotaCountsHeld(quota)
    ? await heldReservations(ctx, user, { start: Math.max(from, now), end: Math.max(until, now) }, undefined, quota.maxPublicPorts !== undefined)
    : [];
  const hours = hourCells(ctx, quota, held, want, from, until, now);
  const iso = (t: number) => new Date(t).toISOString();
  return {
    apiVersion: 'berth/v1',
    kind: 'AvailabilityHours',
    request: { image: q.image, profile: q.profile, cores: want.milliCores / 1000, memory: `${want.memoryMiB}Mi`, publicPorts: want.publicPorts },
    range: { from: iso(from), until: iso(until) },
    hours: hours.map((c) => ({ start: iso(c.start), end: iso(c.end), fits: c.fits, ...(c.reason ? { reason: c.reason } : {}) })),
  };
}

/** Each hour of [from, until): the hour under way counts from now; an hour gone is shown, never offered. */
export function hourCells(ctx: ServiceContext, quota: Quota, held: Interval[], want: Want, from: number, until: number, now: number): HourCell[] {
  const past: HourCell[] = [];
  const windows: Window[] = [];
  for (let t = from; t < until; t += HOUR) {
    const end = Math.min(t + HOUR, until);
    if (end <= now) past.push({ start: t, end, fits: 0, reason: 'in the past' });
    else windows.push({ start: Math.max(t, now), end });
  }
  const room = ctx.admission.capacity.fitsEach(windows, want, want.publicPorts);
  return [...past, ...windows.map((w, i) => ({ ...w, ...hourRoom(ctx, quota, held, want, w, now, room[i]) }))];
}

/** How many more of the request fit over the whole window, the tightest limit deciding. */
function hourRoom(
  ctx: ServiceContext,
  quota: Quota,
  held: Interval[],
  want: Want,
  w: Window,
  now: number,
  room: { count: number; ports: number; nodeId?: string },
): { fits: number; reason?: string } {
  const own = quotaRoom(quota, { ...w, milliCores: want.milliCores, publicPorts: want.publicPorts, now }, held);
  if (own.count === 0) return { fits: 0, reason: quotaReason(quota, own.quota!) };
  if (room.count === 0) return { fits: 0, reason: `full: no node has ${formatCores(want.milliCores)} and ${want.memoryMiB}Mi free for the whole hour` };
  if (room.ports === 0) return { fits: 0, reason: 'full: every public port is taken in this hour' };
  // Admission has the last word; a refusal here is a bug, logged by `admissible`, and shows as full.
  // Any node that takes it proves admission over all would (as for offers): one node is cheap.
  if (!admissible(ctx, quota, held, { ...want, durationMs: w.end - w.start }, w.start, { onlyNodeId: room.nodeId })) {
    return { fits: 0, reason: 'full: admission refuses this hour' };
  }
  return { fits: Math.min(room.count, room.ports, own.count) };
}

function quotaReason(quota: Quota, name: keyof Quota): string {
  switch (name) {
    case 'maxAdvanceMs':
      return `further ahead than your quota allows (maxAdvance ${formatDurationMs(quota.maxAdvanceMs!)})`;
    case 'maxDurationMs':
      return `longer than your quota allows (maxDuration ${formatDurationMs(quota.maxDurationMs!)})`;
    default:
      return `your own reservations already use your ${name} quota (${quota[name]}) in this hour`;
  }
}
