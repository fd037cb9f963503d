// Counter-offers on a refused admission: the earliest start for the same request, the longest
// duration from the requested start, and the largest size that fits at the requested start and
// for the requested duration. Each is computed like availability and checked by admission before
// it is offered; none names a node, so customers get them as they are.
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { coresOf, formatDurationMs, formatMemoryMiB, type Manifest } from '../manifests/index.ts';
import { coresQuotaLongest, peakMilliCores, quotaCountsHeld, type Quota } from '../quotas/index.ts';
import { largestSize } from '../scheduler/index.ts';
import type { Scope } from '../capacity/index.ts';
import { admittedPortCount, hasStarted } from '../domain/index.ts';
import type { ServiceContext } from './context.ts';
import { admissible, findOffers, MAX_RANGE_MS, resolveWant, type Want } from './availability.ts';
import { heldReservations, quotaOf } from './quotas.ts';
import { resolve } from './reservations.ts';

const MINUTE = 60_000;

export interface CounterOffers {
  earliestStart?: { start: string; end: string };
  longestDuration?: { duration: string; end: string };
  largestSize?: { cores: number; memory: string };
}

type ReservationManifest = Extract<Manifest, { kind: 'Reservation' }>;

/**
 * Rethrows `err`; a NoResources refusal of an apply gains `details.counterOffers`. Finding them
 * must never hide the refusal itself, so a failure to do so is only logged.
 */
export async function withCounterOffers(ctx: ServiceContext, user: User, m: ReservationManifest, err: unknown): Promise<never> {
  if (!(err instanceof BerthError) || err.code !== 'NoResources') throw err;
  try {
    const offers = await counterOffersFor(ctx, user, m);
    if (Object.keys(offers).length > 0) {
      throw new BerthError(err.code, err.message, err.field, { ...(err.details as object), counterOffers: offers });
    }
  } catch (e) {
    if (e instanceof BerthError && e.code === 'NoResources') throw e;
    ctx.log.warn({ err: e, reservation: m.metadata.name }, 'counter-offers not computed');
  }
  throw err;
}

async function counterOffersFor(ctx: ServiceContext, user: User, m: ReservationManifest): Promise<CounterOffers> {
  const existing = await ctx.db.reservation.findFirst({ where: { ownerId: user.id, activeName: m.metadata.name } });
  const want = await resolveWant(ctx, m.spec);
  // A started reservation keeps its start, node and size: only its length can change.
  if (existing && hasStarted(existing.phase)) {
    const scope = { excludeReservationId: existing.id, onlyNodeId: existing.nodeId ?? undefined };
    const held = { ...want, milliCores: existing.milliCores, memoryMiB: existing.memoryMiB, publicPorts: admittedPortCount(existing) };
    return longestDuration(ctx, user, held, existing.startAt.getTime(), scope);
  }
  const { r } = await resolve(ctx, m.spec);
  return counterOffers(ctx, user, want, r.startAt, existing ? { excludeReservationId: existing.id } : {});
}

export async function counterOffers(ctx: ServiceContext, user: User, want: Want, start: number, scope: Scope = {}): Promise<CounterOffers> {
  return {
    ...(await earliestStart(ctx, user, want, start, scope)),
    ...(await longestDuration(ctx, user, want, start, scope)),
    ...(await largest(ctx, user, want, start, scope)),
  };
}

async function earliestStart(ctx: ServiceContext, user: User, want: Want, start: number, scope: Scope): Promise<CounterOffers> {
  const quota = quotaOf(ctx, user);
  const now = ctx.clock.now();
  const lo = Math.max(start, now);
  const hi = Math.min(lo + MAX_RANGE_MS, quota.maxAdvanceMs === undefined ? Number.POSITIVE_INFINITY : now + quota.maxAdvanceMs);
  const [first] = (await findOffers(ctx, user, want, quota, lo, hi, 1, scope)).offers;
  if (!first) return {};
  return { earliestStart: { start: iso(first.start), end: iso(first.start + want.durationMs) } };
}

async function longestDuration(ctx: ServiceContext, user: User, want: Want, start: number, scope: Scope): Promise<CounterOffers> {
  const quota = quotaOf(ctx, user);
  const maxMs = Math.min(ctx.config.maxDurationMs, quota.maxDurationMs ?? Number.POSITIVE_INFINITY, want.durationMs);
  const room = ctx.admission.capacity.longest(start, maxMs, want, scope);
  let longest = Math.min(room.ports, Math.max(0, ...room.nodes.map((n) => n.longest)));
  const held = await heldFor(ctx, user, quota, start, start + maxMs, scope);
  if (quota.maxCores !== undefined) longest = Math.min(longest, coresQuotaLongest(held, quota.maxCores, want.milliCores, start, maxMs));
  // Whole minutes: a flag a person can type, and a shorter window still fits.
  longest -= longest % MINUTE;
  if (longest < MINUTE || longest >= want.durationMs) return {};
  const shorter = { ...want, durationMs: longest };
  if (!admissible(ctx, quota, held, shorter, start, scope)) return {};
  return { longestDuration: { duration: formatDurationMs(longest), end: iso(start + longest) } };
}

async function largest(ctx: ServiceContext, user: User, want: Want, start: number, scope: Scope): Promise<CounterOffers> {
  const quota = quotaOf(ctx, user);
  const window = { start, end: start + want.durationMs };
  const free = ctx.admission.capacity.free(window, want.publicPorts, scope);
  if (!free.portsFit) return {};
  const held = await heldFor(ctx, user, quota, window.start, window.end, scope);
  const quotaRoom = quota.maxCores === undefined ? undefined : quota.maxCores * 1000 - peakMilliCores(held, window.start, window.end);
  const size = largestSize(free.nodes, want, quotaRoom);
  if (!size || (size.milliCores === want.milliCores && size.memoryMiB === want.memoryMiB)) return {};
  if (!admissible(ctx, quota, held, { ...want, ...size }, start, scope)) return {};
  return { largestSize: { cores: coresOf(size.milliCores), memory: formatMemoryMiB(size.memoryMiB) } };
}

function heldFor(ctx: ServiceContext, user: User, quota: Quota, start: number, end: number, scope: Scope) {
  if (!quotaCountsHeld(quota)) return Promise.resolve([]);
  return heldReservations(ctx, user, { start, end }, scope.excludeReservationId, quota.maxPublicPorts !== undefined);
}

const iso = (t: number) => new Date(t).toISOString();
