// DATA_DIR/join-token: one whole join token (certificate fingerprint + a bootstrap token), so
// that `berth dev` and a first start need no extra step. Kept while it can still be used; a start
// after it expired or was revoked writes a new one.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { formatJoinToken, parseJoinToken } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { judgeToken, parseBootstrapSecret } from './bootstrap-token.ts';
import { createBootstrapToken } from './token-store.ts';

export const JOIN_TOKEN_DESCRIPTION = 'written to DATA_DIR/join-token at start-up';

export interface JoinTokenFileOptions {
  db: Db;
  dataDir: string;
  /** SHA-256 of the agent-stream certificate: agents pin it. */
  fingerprint: string;
  ttlMs: number;
  now: number;
  log: Logger;
  /** The joinToken setting (BERTH_JOIN_TOKEN): a whole token or `<id>.<secret>`, registered with ttlMs if new. */
  fromEnv?: string;
}

/** Returns the whole token, (re)writing the file with mode 0600 when it changed. */
export async function ensureJoinTokenFile(o: JoinTokenFileOptions): Promise<string> {
  const file = path.join(o.dataDir, 'join-token');
  const stored = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  );
  const secret = (await usableGiven(o)) ?? (await usableStored(o, stored)) ?? (await fresh(o, stored));
  const token = formatJoinToken({ fingerprint: o.fingerprint, secret });
  if (token !== stored) await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

const secretPart = (text: string): string => parseJoinToken(text)?.secret ?? text;

async function usableStored(o: JoinTokenFileOptions, stored: string | undefined): Promise<string | undefined> {
  const parsed = stored ? parseBootstrapSecret(secretPart(stored)) : undefined;
  if (!parsed) return undefined;
  const row = await o.db.bootstrapToken.findUnique({ where: { id: parsed.id } });
  return judgeToken(row, parsed.secret, o.now) ? undefined : `${parsed.id}.${parsed.secret}`;
}

async function usableGiven(o: JoinTokenFileOptions): Promise<string | undefined> {
  const given = o.fromEnv?.trim();
  if (!given) return undefined;
  const parsed = parseBootstrapSecret(secretPart(given));
  if (!parsed)
    throw new BerthError(
      'Invalid',
      'BERTH_JOIN_TOKEN: must be <id>.<secret> (6 and 32 characters of a-z 0-9) or a whole K10<fingerprint>::<id>.<secret> token',
      'joinToken',
    );
  const row = await o.db.bootstrapToken.findUnique({ where: { id: parsed.id } });
  if (!row) {
    await createBootstrapToken(o.db, { ttlMs: o.ttlMs, description: 'BERTH_JOIN_TOKEN', now: o.now, secret: parsed });
    return `${parsed.id}.${parsed.secret}`;
  }
  const refusal = judgeToken(row, parsed.secret, o.now);
  if (!refusal) return `${parsed.id}.${parsed.secret}`;
  o.log.warn({ tokenId: parsed.id, refusal }, 'BERTH_JOIN_TOKEN cannot be used; a new join token is written instead');
  return undefined;
}

async function fresh(o: JoinTokenFileOptions, stored: string | undefined): Promise<string> {
  const made = await createBootstrapToken(o.db, { ttlMs: o.ttlMs, description: JOIN_TOKEN_DESCRIPTION, now: o.now });
  o.log.info({ tokenId: made.id, expiresAt: made.expiresAt.toISOString(), replaced: stored !== undefined }, 'join token written');
  return made.secret;
}
