// Quotas against the database: the owner's live reservations, their override, the defaults.
import { z } from 'zod';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { formatDurationMs, parseDurationMs } from '../manifests/index.ts';
import { checkQuota, effectiveQuota, type Interval, type Quota } from '../quotas/index.ts';
import { admittedPortCount, TERMINAL_PHASES } from '../domain/index.ts';
import type { ServiceContext } from './context.ts';

function adminOnly(user: User, what: string): void {
  if (user.role !== 'admin') throw new BerthError('Forbidden', `only admins can ${what}`);
}

/** Admins carry no default limits (they run the platform); an override still binds them. */
export function quotaOf(ctx: ServiceContext, user: User): Quota {
  return effectiveQuota(user.role === 'admin' ? {} : ctx.config.accounts.defaultQuota, user.quota);
}

/** Throws QuotaExceeded naming the quota. Callers hold the admission mutex. */
export async function enforceQuota(
  ctx: ServiceContext,
  owner: User,
  r: { startAt: number; endAt: number; milliCores: number; publicPorts: number },
  excludeReservationId?: string,
  /** The owner's reservations admitted but not yet in the store (earlier in the same group). */
  pending: Interval[] = [],
): Promise<void> {
  const quota = quotaOf(ctx, owner);
  if (Object.keys(quota).length === 0) return;
  const stored = await heldReservations(ctx, owner, { start: r.startAt, end: r.endAt }, excludeReservationId, quota.maxPublicPorts !== undefined);
  const held = pending.length ? [...stored, ...pending] : stored;
  const violation = checkQuota(quota, { start: r.startAt, end: r.endAt, milliCores: r.milliCores, publicPorts: r.publicPorts, now: ctx.clock.now() }, held);
  if (violation) throw new BerthError('QuotaExceeded', violation.message, undefined, { quota: violation.quota, limits: renderQuota(quota) });
}

/** The owner's live reservations overlapping the window, as the quotas count them (ports only when asked). */
export async function heldReservations(
  ctx: ServiceContext,
  owner: User,
  window: { start: number; end: number },
  excludeReservationId?: string,
  withPorts = false,
): Promise<Interval[]> {
  const held = await ctx.db.reservation.findMany({
    where: {
      ownerId: owner.id,
      phase: { notIn: [...TERMINAL_PHASES] },
      deletedAt: null,
      startAt: { lt: new Date(window.end) },
      endAt: { gt: new Date(window.start) },
      ...(excludeReservationId ? { id: { not: excludeReservationId } } : {}),
    },
    select: { startAt: true, endAt: true, milliCores: true, ...(withPorts ? { imageSpec: true } : {}) },
  });
  return held.map((h) => ({
    start: h.startAt.getTime(),
    end: h.endAt.getTime(),
    milliCores: h.milliCores,
    publicPorts: 'imageSpec' in h ? admittedPortCount(h) : 0,
  }));
}

export function renderQuota(q: Quota) {
  return {
    ...(q.maxCores !== undefined ? { maxCores: q.maxCores } : {}),
    ...(q.maxDurationMs !== undefined ? { maxDuration: formatDurationMs(q.maxDurationMs) } : {}),
    ...(q.maxAdvanceMs !== undefined ? { maxAdvance: formatDurationMs(q.maxAdvanceMs) } : {}),
    ...(q.maxReservations !== undefined ? { maxReservations: q.maxReservations } : {}),
    ...(q.maxPublicPorts !== undefined ? { maxPublicPorts: q.maxPublicPorts } : {}),
  };
}

const durationField = z.union([z.null(), z.string().refine((v) => (parseDurationMs(v) ?? 0) > 0, 'must be a duration such as 24h or 30d')]);
const countField = z.union([z.null(), z.number().int('must be a whole number').positive('must be greater than 0').max(100_000)]);
const quotaBody = z.strictObject({
  maxCores: countField.optional(),
  maxReservations: countField.optional(),
  maxPublicPorts: countField.optional(),
  maxDuration: durationField.optional(),
  maxAdvance: durationField.optional(),
});

function parseQuotaBody(body: unknown) {
  return parseOrInvalid(quotaBody, body ?? {}, { subject: 'body' });
}

async function findUser(ctx: ServiceContext, username: string): Promise<User> {
  const user = await ctx.db.user.findUnique({ where: { username } });
  if (!user) throw new BerthError('NotFound', `user "${username}" not found`);
  return user;
}

export { adminOnly };

export function renderUser(ctx: ServiceContext, u: User) {
  return {
    username: u.username,
    ...(u.email ? { email: u.email } : {}),
    role: u.role,
    createdAt: u.createdAt.toISOString(),
    quota: renderQuota(quotaOf(ctx, u)),
    quotaOverride: renderQuota(effectiveQuota({}, u.quota)),
  };
}

/** Merges the given fields into the user's override; null removes a field (back to the default). */
export async function setQuota(ctx: ServiceContext, admin: User, username: string, body: unknown) {
  adminOnly(admin, 'set quotas');
  const input = parseQuotaBody(body);
  const user = await findUser(ctx, username);
  const next: Record<string, number | null> = { ...((user.quota ?? {}) as Record<string, number | null>) };
  const put = (key: keyof Quota, value: number | null | undefined) => {
    if (value === undefined) return;
    if (value === null) delete next[key];
    else next[key] = value;
  };
  put('maxCores', input.maxCores);
  put('maxReservations', input.maxReservations);
  put('maxPublicPorts', input.maxPublicPorts);
  put('maxDurationMs', input.maxDuration === null ? null : input.maxDuration === undefined ? undefined : parseDurationMs(input.maxDuration)!);
  put('maxAdvanceMs', input.maxAdvance === null ? null : input.maxAdvance === undefined ? undefined : parseDurationMs(input.maxAdvance)!);
  const row = await ctx.db.user.update({ where: { id: user.id }, data: { quota: next } });
  ctx.principals?.forgetAll(); // cached users carry their quota
  return renderUser(ctx, row);
}

export async function listUsers(ctx: ServiceContext, admin: User) {
  adminOnly(admin, 'list users');
  return (await ctx.db.user.findMany({ orderBy: { username: 'asc' } })).map((u) => renderUser(ctx, u));
}

export async function getUser(ctx: ServiceContext, admin: User, username: string) {
  adminOnly(admin, 'read other users');
  return renderUser(ctx, await findUser(ctx, username));
}
