// The node identity kept in the agent's state directory: identity/node.key (0600, never leaves
// the node) and identity/node.crt. The key is made once; certificates come and go with it.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientIdentity, IdentityStore } from './client-identity.ts';

/**
 * A certificate for `keyPem` that is valid at `now`, as a ClientIdentity; else undefined. `key` is
 * that key already parsed, when the caller holds it (parsing a PEM key costs ~0.7 ms).
 */
export function identityOf(keyPem: string, certPem: string, now: number, receivedAtMs = now, key?: KeyObject): ClientIdentity | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return undefined;
  }
  const notBeforeMs = Date.parse(cert.validFrom);
  const notAfterMs = Date.parse(cert.validTo);
  if (!cert.checkPrivateKey(key ?? createPrivateKey(keyPem)) || notAfterMs <= now) return undefined;
  return { keyPem, certPem, notBeforeMs, notAfterMs, receivedAtMs };
}

/** A new node key (EC P-256), parsed and as PKCS#8 PEM. */
export function newKey(): { key: KeyObject; pem: string } {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  return { key, pem: key.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

export const publicKeyPemOf = (keyPem: string): string => createPublicKey(keyPem).export({ format: 'pem', type: 'spki' }).toString();

export class FileIdentityStore implements IdentityStore {
  private readonly keyFile: string;
  private readonly certFile: string;

  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.keyFile = path.join(dir, 'node.key');
    this.certFile = path.join(dir, 'node.crt');
  }

  async current(): Promise<ClientIdentity | undefined> {
    const [key, cert] = await Promise.all([read(this.keyFile), read(this.certFile)]);
    if (!key || !cert) return undefined;
    // The file was written when the certificate arrived.
    return identityOf(key, cert, this.now(), (await stat(this.certFile)).mtimeMs);
  }

  async publicKey(): Promise<string> {
    return publicKeyPemOf(await this.key());
  }

  async save(certPem: string): Promise<ClientIdentity> {
    const id = identityOf(await this.key(), certPem, this.now());
    if (!id) throw new Error("the controller sent a certificate that is not for this node's key or not valid now");
    await writeAtomically(this.certFile, certPem, 0o644);
    return id;
  }

  private async key(): Promise<string> {
    const existing = await read(this.keyFile);
    if (existing) return existing;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const { pem } = newKey();
    await writeAtomically(this.keyFile, pem, 0o600);
    return pem;
  }
}

async function read(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode); // whatever the umask
  await rename(tmp, file);
}
