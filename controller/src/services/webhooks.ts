// A user's webhooks: add (the secret shown once), list, remove, and the delivery log of one
// reservation. Adding refuses a URL whose host resolves to an address deliveries may not reach
// (see webhooks/address-guard.ts); the dispatcher judges again at every attempt.
import { randomBytes } from 'node:crypto';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { parseDurationMs, formatDurationMs } from '../manifests/index.ts';
import { addressJudge, newWebhookSecret, parseEndingBefore, parseEvents, parseWebhookUrl, pickAddress } from '../webhooks/index.ts';
import type { ServiceContext } from './context.ts';
import { findReservationByName } from './reservations.ts';

export const MAX_WEBHOOKS_PER_USER = 10;
const RECENT_ATTEMPTS = 20;

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  endingBefore: string;
  createdAt: string;
}

const view = (h: { id: string; url: string; events: unknown; endingBeforeMs: number; createdAt: Date }): WebhookView => ({
  id: h.id,
  url: h.url,
  events: Array.isArray(h.events) ? (h.events as string[]) : [],
  endingBefore: formatDurationMs(h.endingBeforeMs),
  createdAt: h.createdAt.toISOString(),
});

const newId = () =>
  `wh_${randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12)}`;

export async function addWebhook(ctx: ServiceContext, user: User, body: unknown): Promise<WebhookView & { secret: string }> {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!['url', 'events', 'endingBefore'].includes(key)) throw new BerthError('Invalid', `${key}: unknown field (known: url, events, endingBefore)`, key);
  }
  const url = parseWebhookUrl(b.url);
  const events = parseEvents(b.events);
  const endingBeforeMs = parseEndingBefore(b.endingBefore, parseDurationMs);
  // Without the controller's policy (a bare context), the strictest one: no allowed networks.
  const judge = ctx.notifications ? await ctx.notifications.judge() : addressJudge({ allow: [], nodes: [], own: [] });
  const picked = await pickAddress(url.hostname, judge);
  if ('error' in picked) throw new BerthError('Invalid', `url: ${picked.error}`, 'url');
  if ((await ctx.db.webhook.count({ where: { userId: user.id } })) >= MAX_WEBHOOKS_PER_USER) {
    throw new BerthError('Conflict', `at most ${MAX_WEBHOOKS_PER_USER} webhooks per user; remove one first`);
  }
  const secret = newWebhookSecret();
  const row = await ctx.db.webhook.create({
    data: { id: newId(), userId: user.id, url: url.toString(), secret, events, endingBeforeMs, createdAt: new Date(ctx.clock.now()) },
  });
  ctx.notifications?.webhooksChanged();
  return { ...view(row), secret };
}

export async function listWebhooks(ctx: ServiceContext, user: User): Promise<WebhookView[]> {
  const rows = await ctx.db.webhook.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
  return rows.map(view);
}

/** Removes the webhook; its pending deliveries are dropped. Another user's id is "not found". */
export async function removeWebhook(ctx: ServiceContext, user: User, id: string): Promise<{ id: string; removed: true }> {
  const { count } = await ctx.db.webhook.deleteMany({ where: { id, userId: user.id } });
  if (count === 0) throw new BerthError('NotFound', `webhook "${id}" not found`);
  await ctx.db.webhookDelivery.updateMany({ where: { webhookId: id, state: 'pending' }, data: { state: 'failed' } });
  ctx.notifications?.webhooksChanged();
  return { id, removed: true };
}

export interface DeliveryAttemptView {
  event: string;
  host: string;
  attempt: number;
  statusCode?: number;
  error?: string;
  time: string;
}

/** The recent delivery attempts for one reservation the user may see, newest first. */
export async function reservationDeliveries(ctx: ServiceContext, user: User, name: string): Promise<DeliveryAttemptView[]> {
  const row = await findReservationByName(ctx, user, name);
  const attempts = await ctx.db.webhookAttempt.findMany({ where: { reservationId: row.id }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: RECENT_ATTEMPTS });
  return attempts.map((a) => ({
    event: a.event,
    host: a.host,
    attempt: a.attempt,
    ...(a.statusCode !== null ? { statusCode: a.statusCode } : {}),
    ...(a.error ? { error: a.error } : {}),
    time: a.at.toISOString(),
  }));
}
