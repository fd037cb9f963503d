// Berth's CA lives in DATA_DIR/pki: ca.crt (0644, public) and ca.key (0600) in a 0700 directory.
// It is made on first start and kept: clients trust it through their config, so a restarted
// controller must present certificates from the same CA.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { BerthError } from '../errors/index.ts';
import { loadCertificateAuthority, type CertificateAuthority } from './certificate-authority.ts';
import { createCertificateAuthority } from './create-ca.ts';

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export function caPaths(dataDir: string): CaPaths {
  const dir = path.join(dataDir, 'pki');
  return { dir, cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
}

/** Loads DATA_DIR/pki/ca.{crt,key}, creating them on first start. */
export async function loadOrCreateCa(dataDir: string, log?: Logger): Promise<CertificateAuthority> {
  const paths = caPaths(dataDir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await narrow(paths.dir, 0o700);
  const [certPem, keyPem] = await Promise.all([readIfExists(paths.cert), readIfExists(paths.key)]);
  if (certPem !== undefined && keyPem === undefined) {
    // Never replace a CA silently: every client that trusts it would be cut off.
    throw new BerthError(
      'Invalid',
      `${paths.key} is missing: restore it, or remove ${paths.cert} too to make a new CA (every client must then be given the new one)`,
      'dataDir',
    );
  }
  if (certPem !== undefined && keyPem !== undefined) {
    await narrow(paths.key, 0o600);
    return loadCertificateAuthority({ certPem, keyPem }, paths.dir);
  }
  // A key without a certificate was never handed to anyone: a new pair replaces it.
  const pems = await createCertificateAuthority();
  await writeAtomically(paths.key, pems.keyPem, 0o600);
  await writeAtomically(paths.cert, pems.certPem, 0o644);
  const ca = await loadCertificateAuthority(pems, paths.dir);
  log?.info({ caFile: paths.cert, fingerprint: ca.fingerprint }, 'certificate authority created');
  return ca;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode, flag: 'w' });
  await chmod(tmp, mode); // the umask may have narrowed the cert; the key is never wider than mode
  await rename(tmp, file);
}

/** Drops bits beyond mode (a key copied in by hand with 0644 becomes 0600); never widens. */
async function narrow(file: string, mode: number): Promise<void> {
  const current = (await stat(file)).mode & 0o7777;
  if ((current & ~mode) !== 0) await chmod(file, current & mode);
}
