// API tokens: a random secret shown once; only its SHA-256 is stored (a high-entropy secret
// needs no slow hash, unlike a password).
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient as Db, User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';

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

export async function authenticate(db: Db, header: string | undefined, now: number): Promise<User> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new BerthError('Unauthenticated', 'missing bearer token: log in or set BERTH_TOKEN');
  const token = await db.apiToken.findUnique({ where: { tokenHash: hashToken(match[1]) }, include: { user: true } });
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt.getTime() <= now)) {
    throw new BerthError('Unauthenticated', 'invalid or expired token');
  }
  return token.user;
}

/** Ensures the named admin exists and returns a fresh token for it (used by dev mode and setup). */
export async function bootstrapAdmin(db: Db, username = 'admin'): Promise<{ user: User; token: string }> {
  const user = await db.user.upsert({ where: { username }, create: { username, role: 'admin' }, update: { role: 'admin' } });
  return { user, token: await issueToken(db, user.id, 'bootstrap') };
}
