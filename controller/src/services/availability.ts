// Availability: the earliest windows in which a request would be admitted. It reads admission's
// own capacity index and runs admission's own checks solved for the start (capacity/ `starts`),
// the quota likewise, and then puts every offer through admission itself (`admit`, nothing
// committed) before showing it. It is a snapshot, not a hold: an admission in between may take
// the room, and with several controllers on PostgreSQL the index may trail the others' latest
// admissions until this controller's next one.
import { z } from 'zod';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { nameSchema, parseDurationMs, reservationSpecSchema } from '../manifests/index.ts';
import { checkQuota, coresQuotaStarts, countQuotaStarts, quotaCountsHeld, type Interval, type Quota } from '../quotas/index.ts';
import { offersFrom, type NodeCandidate, type Offer, type StartInterval } from '../scheduler/index.ts';
import type { Scope } from '../capacity/index.ts';
import type { ServiceContext } from './context.ts';
import { admit } from './admission.ts';
import { heldReservations, quotaOf } from './quotas.ts';
import { resolve } from './reservations.ts';

const DAY = 86_400_000;
/** The longest from..until one call may search: what bounds its cost. */
export const MAX_RANGE_MS = 30 * DAY;
export const DEFAULT_RANGE_MS = 7 * DAY;
export const MAX_OFFERS = 20;
export const DEFAULT_OFFERS = 5;
/** Admins see the nodes that take an offer, up to this many names per offer. */
const MAX_NODE_NAMES = 20;

/** An RFC 3339 query parameter, as every availability route takes `from` and `until`. */
export const rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time such as 2026-12-01T10:00:00Z' });
const querySchema = z.strictObject({
  image: nameSchema,
  duration: reservationSpecSchema.shape.duration,
  profile: reservationSpecSchema.shape.profile,
  cores: reservationSpecSchema.shape.cores,
  memory: reservationSpecSchema.shape.memory,
  from: rfc3339.optional(),
  until: rfc3339.optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_OFFERS}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_OFFERS, `must be a whole number from 1 to ${MAX_OFFERS}`)
    .optional(),
  node: nameSchema.optional(),
});
export type AvailabilityQuery = z.infer<typeof querySchema>;

/** A request as admission sees it. */
export interface Want {
  durationMs: number;
  milliCores: number;
  memoryMiB: number;
  publicPorts: number;
}

export interface Found {
  offers: Array<Offer<Readonly<NodeCandidate>>>;
  lo: number;
  hi: number;
}

export async function availability(ctx: ServiceContext, user: User, raw: unknown) {
  const q = parseOrInvalid(querySchema, raw ?? {}, { subject: 'query' });
  const now = ctx.clock.now();
  const from = q.from ? Date.parse(q.from) : now;
  const until = q.until ? Date.parse(q.until) : from + DEFAULT_RANGE_MS;
  if (until < from) throw new BerthError('Invalid', 'until: must not be before from', 'until');
  if (until - from > MAX_RANGE_MS) throw new BerthError('Invalid', 'until: from..until may span at most 30d', 'until');
  const scope = await nodeScope(ctx, user, q.node);
  const want = await resolveWant(ctx, q);
  const quota = quotaOf(ctx, user);
  const tooLong = checkQuota({ maxDurationMs: quota.maxDurationMs }, { start: now, end: now + want.durationMs, milliCores: 0, now }, []);
  if (tooLong) throw new BerthError('QuotaExceeded', tooLong.message, undefined, { quota: tooLong.quota });
  // An earlier `from` means now; starts beyond the quota's maxAdvance could not be admitted.
  const lo = Math.max(from, now);
  const hi = quota.maxAdvanceMs === undefined ? until : Math.min(until, now + quota.maxAdvanceMs);
  const found = await findOffers(ctx, user, want, quota, lo, hi, q.limit ?? DEFAULT_OFFERS, scope);
  return render(user, q, want, found);
}

/**
 * The earliest `max` offers with a start in [lo, hi], each checked by admission at its start.
 * Cost: one pass over the placements each node holds within the range, plus one admission
 * check per offer.
 */
export async function findOffers(
  ctx: ServiceContext,
  owner: User,
  want: Want,
  quota: Quota,
  lo: number,
  hi: number,
  max: number,
  scope: Scope = {},
): Promise<Found> {
  if (hi < lo) return { offers: [], lo, hi };
  const held = quotaCountsHeld(quota)
    ? await heldReservations(ctx, owner, { start: lo, end: hi + want.durationMs }, scope.excludeReservationId, quota.maxPublicPorts !== undefined)
    : [];
  const { ports, nodes } = ctx.admission.capacity.starts({ lo, hi, ...want }, scope);
  const limits: StartInterval[][] = [ports, ...countQuotaStarts(quota, held, want.publicPorts, lo, hi, want.durationMs)];
  if (quota.maxCores !== undefined) limits.push(coresQuotaStarts(held, quota.maxCores, want.milliCores, lo, hi, want.durationMs));
  const offers = offersFrom(nodes, limits, max).filter((o) => admissible(ctx, quota, held, want, o.start, { ...scope, onlyNodeId: o.nodes[0]?.id }));
  return { offers, lo, hi };
}

/**
 * Admission's own verdict on the request at `start`, nothing committed. Any node that takes it
 * proves that admission over all nodes would; a refusal here means the offer computation and
 * admission disagree, which is a bug: the offer is withheld and logged.
 */
export function admissible(ctx: ServiceContext, quota: Quota, held: Interval[], want: Want, start: number, scope: Scope): boolean {
  const req = { start, end: start + want.durationMs, milliCores: want.milliCores, memoryMiB: want.memoryMiB };
  const violation = checkQuota(quota, { ...req, publicPorts: want.publicPorts, now: ctx.clock.now() }, held);
  try {
    if (violation) throw new BerthError('QuotaExceeded', violation.message);
    admit(ctx.admission, { ...req, publicPorts: want.publicPorts, ...scope }, ctx.config.strategy);
    return true;
  } catch (err) {
    ctx.log.error({ err, start: new Date(start).toISOString() }, 'availability offered a window admission refuses; offer withheld');
    return false;
  }
}

/** The request's size and ports as admission would resolve them (image defaults and limits). */
export async function resolveWant(ctx: ServiceContext, q: Pick<AvailabilityQuery, 'image' | 'duration' | 'profile' | 'cores' | 'memory'>): Promise<Want> {
  try {
    const { r, image } = await resolve(ctx, { image: q.image, duration: q.duration, profile: q.profile, cores: q.cores, memory: q.memory });
    return { durationMs: parseDurationMs(q.duration)!, milliCores: r.milliCores, memoryMiB: r.memoryMiB, publicPorts: image.ports.length };
  } catch (err) {
    // Admission names manifest fields (spec.cores); here they are query parameters (cores).
    if (err instanceof BerthError && err.field?.startsWith('spec.')) {
      throw new BerthError(err.code, err.message.replace(/^spec\./, ''), err.field.slice(5), err.details);
    }
    throw err;
  }
}

async function nodeScope(ctx: ServiceContext, user: User, node: string | undefined): Promise<Scope> {
  if (node === undefined) return {};
  if (user.role !== 'admin') throw new BerthError('Forbidden', 'node: only admins can ask about a node', 'node');
  const row = await ctx.db.node.findUnique({ where: { name: node }, select: { id: true } });
  if (!row) throw new BerthError('NotFound', `node "${node}" not found`, 'node');
  return { onlyNodeId: row.id };
}

function render(user: User, q: AvailabilityQuery, want: Want, found: Found) {
  const iso = (t: number) => new Date(t).toISOString();
  const size = { cores: want.milliCores / 1000, memory: `${want.memoryMiB}Mi` };
  return {
    apiVersion: 'berth/v1',
    kind: 'Availability',
    request: { image: q.image, duration: q.duration, profile: q.profile, ...size, publicPorts: want.publicPorts },
    // The starts searched: from now at the earliest, up to the caller's maxAdvance at the latest.
    range: { from: iso(found.lo), until: iso(Math.max(found.lo, found.hi)) },
    offers: found.offers.map((o) => ({
      start: iso(o.start),
      end: iso(o.start + want.durationMs),
      latestStart: iso(o.latestStart),
      ...size,
      // Node names are for admins only: a customer learns when, never where.
      ...(user.role === 'admin' ? { nodeCount: o.nodes.length, nodes: o.nodes.slice(0, MAX_NODE_NAMES).map((n) => n.name) } : {}),
    })),
  };
}
