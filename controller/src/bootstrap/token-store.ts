// Bootstrap tokens in the store: created (the secret returned once, only its hash kept), listed,
// revoked, and checked when an agent presents one.
import type { PrismaClient as Db } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { NoticeCache } from '../lib/notice-cache.ts';
import {
  formatBootstrapSecret,
  hashBootstrapSecret,
  judgeToken,
  newBootstrapSecret,
  parseBootstrapSecret,
  type BootstrapSecret,
  type TokenRefusal,
} from './bootstrap-token.ts';

export interface BootstrapTokenView {
  id: string;
  description: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  lastUsedAt?: string;
  /** valid | expired | revoked, at the time of the listing. */
  state: 'valid' | 'expired' | 'revoked';
}

export async function createBootstrapToken(
  db: Db,
  opts: { ttlMs: number; description?: string; now: number; secret?: BootstrapSecret },
): Promise<{ id: string; secret: string; expiresAt: Date }> {
  const t = opts.secret ?? newBootstrapSecret();
  const expiresAt = new Date(opts.now + opts.ttlMs);
  await db.bootstrapToken.create({
    data: { id: t.id, secretHash: hashBootstrapSecret(t.secret), description: opts.description ?? '', expiresAt, createdAt: new Date(opts.now) },
  });
  return { id: t.id, secret: formatBootstrapSecret(t), expiresAt };
}

export async function listBootstrapTokens(db: Db, now: number): Promise<BootstrapTokenView[]> {
  const rows = await db.bootstrapToken.findMany({ orderBy: { createdAt: 'asc' } });
  return rows.map((r) => ({
    id: r.id,
    description: r.description,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    ...(r.revokedAt ? { revokedAt: r.revokedAt.toISOString() } : {}),
    ...(r.lastUsedAt ? { lastUsedAt: r.lastUsedAt.toISOString() } : {}),
    state: r.revokedAt ? 'revoked' : r.expiresAt.getTime() <= now ? 'expired' : 'valid',
  }));
}

/** Revokes at once; revoking twice keeps the first time. */
export async function revokeBootstrapToken(db: Db, id: string, now: number): Promise<void> {
  const row = await db.bootstrapToken.findUnique({ where: { id } });
  if (!row) throw new BerthError('NotFound', `bootstrap token "${id}" not found`);
  if (!row.revokedAt) await db.bootstrapToken.update({ where: { id }, data: { revokedAt: new Date(now) } });
}

const LAST_USED_PRECISION_MS = 60_000;

export type TokenCheck = { ok: true; id: string } | { ok: false; refusal: TokenRefusal; id?: string };

/**
 * When this controller last recorded each token's use. A fleet joining at once reads the row
 * before any of its writes land, so the stored time alone would let every node write; this
 * memory lets one check per token and minute write. Bounded by the tokens in use (operator-made).
 */
export class TokenUses {
  private readonly written = new Map<string, number>();

  /** Whether this use should be written; if so it counts as written from now on. */
  claim(id: string, stored: Date | null, now: number): boolean {
    const last = Math.max(stored?.getTime() ?? 0, this.written.get(id) ?? 0);
    if (last && now - last < LAST_USED_PRECISION_MS) return false;
    if (this.written.size >= 10_000) this.written.clear();
    this.written.set(id, now);
    return true;
  }

  /** The write failed: the next use tries again. */
  forget(id: string, at: number): void {
    if (this.written.get(id) === at) this.written.delete(id);
  }
}

export type StoredBootstrapToken = NonNullable<Awaited<ReturnType<Db['bootstrapToken']['findUnique']>>>;

/**
 * Bootstrap token rows a controller has read, while the store's notices say none changed: a
 * fleet joining with one token reads its row once, not once per node. A revocation anywhere (the
 * auth_change_notices trigger, extended to BootstrapToken) empties it before the next join.
 */
export class BootstrapTokenCache extends NoticeCache<StoredBootstrapToken> {
  constructor(ttlMs = 10_000) {
    super(ttlMs, 1_000); // operator-made tokens: a few in use at a time
  }
}

/** The token's row: from the cache when it holds it, else read (and kept when it is still usable). */
async function readToken(db: Db, id: string, now: number, cache?: BootstrapTokenCache): Promise<StoredBootstrapToken | null> {
  const known = cache?.get(id, now);
  if (known) return known;
  const ticket = cache?.ticket() ?? 0;
  const row = await db.bootstrapToken.findUnique({ where: { id } });
  if (row && !row.revokedAt) cache?.put(id, row, row.expiresAt.getTime(), now, ticket);
  return row;
}

/** Checks `<id>.<secret>` (the secret part of a join token) and records its use. */
export async function checkBootstrapToken(db: Db, text: string, now: number, uses = new TokenUses(), cache?: BootstrapTokenCache): Promise<TokenCheck> {
  const parsed = parseBootstrapSecret(text);
  if (!parsed) return { ok: false, refusal: 'invalid' };
  const row = await readToken(db, parsed.id, now, cache);
  const refusal = judgeToken(row, parsed.secret, now);
  if (refusal) return { ok: false, refusal, ...(refusal === 'invalid' ? {} : { id: parsed.id }) };
  // A minute is precise enough for `berth token list`, and a fleet joining with one token costs
  // one write a minute instead of one per node.
  if (uses.claim(parsed.id, row!.lastUsedAt, now)) {
    await db.bootstrapToken.update({ where: { id: parsed.id }, data: { lastUsedAt: new Date(now) } }).catch((err: unknown) => {
      uses.forget(parsed.id, now);
      throw err;
    });
  }
  return { ok: true, id: parsed.id };
}
