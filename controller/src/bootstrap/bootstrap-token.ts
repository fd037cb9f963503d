// Bootstrap tokens, kubeadm style: `<id>.<secret>`, the id public (listed, revoked by), the secret
// shown once. Agents carry it as the secret part of the join token `K10<fingerprint>::<id>.<secret>`.
// Pure: generation, parsing and the decision whether a stored token may be used now.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ID_LENGTH = 6;
const SECRET_LENGTH = 32;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{32})$/;
export const BOOTSTRAP_ID = /^[a-z0-9]{6}$/;

export interface BootstrapSecret {
  id: string;
  secret: string;
}

/** What an agent is refused with; never says more unless the secret matched. */
export type TokenRefusal = 'invalid' | 'expired' | 'revoked';

export interface StoredToken {
  secretHash: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

function randomText(length: number): string {
  // 252 is the largest multiple of 36 below 256: rejecting bytes above it keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) if (b < 252 && out.length < length) out += ALPHABET[b % 36];
  }
  return out;
}

export function newBootstrapSecret(): BootstrapSecret {
  return { id: randomText(ID_LENGTH), secret: randomText(SECRET_LENGTH) };
}

export const formatBootstrapSecret = (t: BootstrapSecret): string => `${t.id}.${t.secret}`;

/** undefined when the text is not `<id>.<secret>` (e.g. a bare secret of an older version). */
export function parseBootstrapSecret(text: string): BootstrapSecret | undefined {
  const m = TOKEN.exec(text);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

export const hashBootstrapSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Whether `secret` may join now against the stored row (undefined row: unknown id). */
export function judgeToken(row: StoredToken | undefined | null, secret: string, now: number): TokenRefusal | undefined {
  // Compared even for an unknown id, so timing does not tell which ids exist.
  const expected = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex');
  const matches = timingSafeEqual(Buffer.from(hashBootstrapSecret(secret), 'hex'), expected) && !!row;
  if (!matches) return 'invalid';
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt.getTime() <= now) return 'expired';
  return undefined;
}
