// The bootstrap admin's token, kept in DATA_DIR/berth.config on the management node. It expires
// (DEFAULT_ADMIN_TOKEN_TTL_MS unless configured) and is replaced by `berth admin rotate-token`.
import type { PrismaClient as Db } from '../store/index.ts';
import { authenticate, bootstrapAdmin, BOOTSTRAP_TOKEN_NAME, hashToken } from './tokens.ts';

export const DEFAULT_ADMIN_TOKEN_TTL_MS = 30 * 86_400_000;

/**
 * The admin token of an earlier start when it still works (so configs written then stay valid),
 * else a new one for the bootstrap admin, valid for ttlMs.
 */
export async function reuseOrIssueAdminToken(db: Db, previous: string | undefined, now = Date.now(), ttlMs = DEFAULT_ADMIN_TOKEN_TTL_MS): Promise<string> {
  if (previous) {
    try {
      if ((await authenticate(db, `Bearer ${previous}`, now)).role === 'admin') return previous;
    } catch {
      // expired, revoked or from another database: issue a new one
    }
  }
  return (await bootstrapAdmin(db, { ttlMs, now })).token;
}

/**
 * A new bootstrap token; every earlier bootstrap token of the admin, and `previous` (the one in
 * the config file, whatever its name), stop working at once.
 */
export async function rotateAdminToken(
  db: Db,
  previous: string | undefined,
  now = Date.now(),
  ttlMs = DEFAULT_ADMIN_TOKEN_TTL_MS,
): Promise<{ token: string; expiresAt: Date; revoked: number }> {
  const { user, token } = await bootstrapAdmin(db, { ttlMs, now });
  const revokedAt = new Date(now);
  const old = await db.apiToken.updateMany({
    where: {
      revokedAt: null,
      tokenHash: { not: hashToken(token) },
      OR: [{ userId: user.id, name: BOOTSTRAP_TOKEN_NAME }, ...(previous ? [{ tokenHash: hashToken(previous) }] : [])],
    },
    data: { revokedAt },
  });
  return { token, expiresAt: new Date(now + ttlMs), revoked: old.count };
}
