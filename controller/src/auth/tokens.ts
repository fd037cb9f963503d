// API tokens: a random secret shown once; only its SHA-256 is stored (a high-entropy secret
// needs no slow hash, unlike a password).
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient as Db, User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import type { PrincipalCache } from './principal-cache.ts';

export const TOKEN_PREFIX = 'berth_';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(): string {
  return TOKEN_PREFIX + randomBytes(24).toString('base64url');
}

export async function issueToken(db: Db, userId: string, name: string, ttlMs?: number, now = Date.now()): Promise<string> {
  const secret = newSecret();
  await db.apiToken.create({
    data: { userId, name, tokenHash: hashToken(secret), ...(ttlMs ? { expiresAt: new Date(now + ttlMs) } : {}) },
  });
  return secret;
}

export async function authenticate(db: Db, header: string | undefined, now: number, cache?: PrincipalCache): Promise<User> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new BerthError('Unauthenticated', 'missing bearer token: log in or set BERTH_TOKEN');
  const tokenHash = hashToken(match[1]);
  const liveTokens = { tokenHash, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date(now) } }] };
  if (!cache?.live) {
    // One statement on either store: the user holding a live token with that hash.
    const user = await db.user.findFirst({ where: { tokens: { some: liveTokens } } });
    if (!user) throw new BerthError('Unauthenticated', 'invalid or expired token');
    return user;
  }
  const known = cache.get(tokenHash, now);
  if (known) return known;
  const ticket = cache.ticket();
  // The token's expiry bounds the cached answer; one statement on PostgreSQL (relationJoins).
  const token = await db.apiToken.findFirst({ where: liveTokens, select: { expiresAt: true, user: true } });
  if (!token) throw new BerthError('Unauthenticated', 'invalid or expired token');
  cache.put(tokenHash, token.user, token.expiresAt?.getTime(), now, ticket);
  return token.user;
}

export const BOOTSTRAP_ADMIN = 'admin';
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

/**
 * Ensures the bootstrap admin exists and returns a fresh token for it (dev mode, the first start,
 * `berth admin rotate-token`). An existing account of that name that is not an admin is never
 * promoted: it could be a customer who took the name, and promoting it would hand them the cluster.
 */
export async function bootstrapAdmin(db: Db, opts: { ttlMs?: number; now?: number } = {}): Promise<{ user: User; token: string }> {
  const username = BOOTSTRAP_ADMIN;
  const user = await db.user.upsert({ where: { username }, create: { username, role: 'admin' }, update: {} });
  if (user.role !== 'admin') {
    throw new BerthError(
      'Conflict',
      `user "${username}" exists as a ${user.role}, not an admin: refusing to promote it; delete or rename it, or create another admin with \`berth admin create-user NAME --admin\``,
      'username',
    );
  }
  return { user, token: await issueToken(db, user.id, BOOTSTRAP_TOKEN_NAME, opts.ttlMs, opts.now) };
}
