// DATA_DIR/join-token: the whole token agents are given (certificate fingerprint + secret). The
// secret is made once and kept; the fingerprint always follows the certificate actually served.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatJoinToken, parseJoinToken } from '@berth/proto';

/**
 * The secret is, in order: BERTH_JOIN_TOKEN (a whole token or a bare secret), the one in the
 * file (a whole token, or a bare secret written by an older version), or a new random one.
 * Returns the whole token, which is also (re)written to the file with mode 0600.
 */
export async function loadJoinToken(dataDir: string, fingerprint: string, fromEnv?: string): Promise<{ token: string; secret: string }> {
  const file = path.join(dataDir, 'join-token');
  const stored = await readFile(file, 'utf8').then((t) => t.trim(), () => undefined);
  const given = fromEnv?.trim() || stored;
  const secret = (given && (parseJoinToken(given)?.secret ?? given)) || randomBytes(24).toString('base64url');
  const token = formatJoinToken({ fingerprint, secret });
  if (!parseJoinToken(token)) throw new Error('join token secret: use 16-256 characters of A-Z a-z 0-9 - _ . ~ + / =');
  if (token !== stored) await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, secret };
}
