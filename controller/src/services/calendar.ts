// A user's iCal feed: made (or rotated: the old URL stops at once) and revoked by the user, and
// served to whoever holds its URL. The token in the URL grants this one read and nothing else;
// only its SHA-256 is stored, so the URL is shown when made and never again.
import { createHash } from 'node:crypto';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { FEED_TOKEN, feedPath, hashFeedToken, newFeedToken, renderCalendar } from '../calendar/index.ts';
import type { ServiceContext } from './context.ts';

/** Ended reservations stay in the feed this long, then drop off. */
const KEEP_ENDED_MS = 30 * 86_400_000;
/** A feed never lists more than this many reservations (the most recent). */
const MAX_ENTRIES = 500;
const LAST_USED_PRECISION_MS = 60_000;

export interface FeedInfo {
  exists: boolean;
  createdAt?: string;
  lastUsedAt?: string;
}

/** Makes a new feed URL for the user, replacing any earlier one. */
export async function rotateCalendarFeed(ctx: ServiceContext, user: User): Promise<FeedInfo & { path: string }> {
  const token = newFeedToken();
  const now = new Date(ctx.clock.now());
  const tokenHash = hashFeedToken(token);
  await ctx.db.calendarFeed.upsert({
    where: { userId: user.id },
    create: { userId: user.id, tokenHash, createdAt: now },
    update: { tokenHash, createdAt: now, lastUsedAt: null },
  });
  return { exists: true, createdAt: now.toISOString(), path: feedPath(token) };
}

export async function calendarFeedInfo(ctx: ServiceContext, user: User): Promise<FeedInfo> {
  const row = await ctx.db.calendarFeed.findUnique({ where: { userId: user.id } });
  if (!row) return { exists: false };
  return { exists: true, createdAt: row.createdAt.toISOString(), ...(row.lastUsedAt ? { lastUsedAt: row.lastUsedAt.toISOString() } : {}) };
}

export async function revokeCalendarFeed(ctx: ServiceContext, user: User): Promise<FeedInfo> {
  const { count } = await ctx.db.calendarFeed.deleteMany({ where: { userId: user.id } });
  if (count === 0) throw new BerthError('NotFound', 'no calendar feed to revoke');
  return { exists: false };
}

/** The feed behind a URL token: the same 404 for a malformed, unknown or revoked token. */
export async function renderCalendarFeed(ctx: ServiceContext, token: string): Promise<{ body: string; etag: string }> {
  const feed = FEED_TOKEN.test(token) ? await ctx.db.calendarFeed.findUnique({ where: { tokenHash: hashFeedToken(token) } }) : null;
  if (!feed) throw new BerthError('NotFound', 'no such calendar feed');
  const now = ctx.clock.now();
  const [user, rows] = await Promise.all([
    ctx.db.user.findUnique({ where: { id: feed.userId }, select: { username: true } }),
    ctx.db.reservation.findMany({
      where: { ownerId: feed.userId, endAt: { gte: new Date(now - KEEP_ENDED_MS) } },
      include: { ports: { select: { natPort: true } } },
      orderBy: { startAt: 'desc' },
      take: MAX_ENTRIES,
    }),
  ]);
  if (!user) throw new BerthError('NotFound', 'no such calendar feed');
  if (!feed.lastUsedAt || now - feed.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
    await ctx.db.calendarFeed.updateMany({ where: { userId: feed.userId, tokenHash: feed.tokenHash }, data: { lastUsedAt: new Date(now) } });
  }
  const body = renderCalendar(
    rows.reverse().map((r) => ({
      id: r.id,
      name: r.name,
      image: r.imageName,
      phase: r.phase,
      start: r.startAt,
      end: r.endAt,
      endpoints: r.phase === 'Running' ? r.ports.map((p) => `${ctx.config.publicAddress}:${p.natPort}`) : [],
      updatedAt: r.updatedAt,
    })),
    { title: `Berth reservations of ${user.username}`, uidDomain: 'berth' },
  );
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
}
