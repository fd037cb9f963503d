// Bootstrap tokens in the store: created (the secret returned once, only its hash kept), listed,
// revoked, and checked when an agent presents one.
import type { PrismaClient as Db } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
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

/** Checks `<id>.<secret>` (the secret part of a join token) and records its use. */
export async function checkBootstrapToken(db: Db, text: string, now: number): Promise<TokenCheck> {
  const parsed = parseBootstrapSecret(text);
  if (!parsed) return { ok: false, refusal: 'invalid' };
  const row = await db.bootstrapToken.findUnique({ where: { id: parsed.id } });
  const refusal = judgeToken(row, parsed.secret, now);
  if (refusal) return { ok: false, refusal, ...(refusal === 'invalid' ? {} : { id: parsed.id }) };
  // A minute is precise enough for `berth token list`, and a fleet joining with one token costs
  // one write a minute instead of one per node.
  if (!row!.lastUsedAt || now - row!.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
    await db.bootstrapToken.update({ where: { id: parsed.id }, data: { lastUsedAt: new Date(now) } });
  }
  return { ok: true, id: parsed.id };
}
