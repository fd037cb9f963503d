// The certificate the agent stream is served with: self-signed, made on first start and kept in
// DATA_DIR/tls so that a restarted controller presents the same one. Agents trust it by the
// fingerprint in their join token (see @berth/proto join-token.ts), so no CA is involved.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { generate } from 'selfsigned';
import { certificateFingerprint } from '@berth/proto';

export interface AgentTls {
  cert: string;
  key: string;
  /** SHA-256 of the certificate (DER), hex: what join tokens carry. */
  fingerprint: string;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** Loads DATA_DIR/tls/agent-stream.{crt,key}, creating them on first start. */
export async function loadOrCreateAgentTls(dataDir: string, addresses: string[]): Promise<AgentTls> {
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'agent-stream.crt');
  const keyFile = path.join(dir, 'agent-stream.key');
  const existing = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => undefined);
  if (existing) {
    const [cert, key] = existing;
    return { cert, key, fingerprint: certificateFingerprint(new X509Certificate(cert).raw) };
  }
  const now = Date.now();
  const altNames = [
    { type: 2 as const, value: 'localhost' },
    ...[...new Set(['127.0.0.1', ...addresses])].filter((a) => isIP(a)).map((ip) => ({ type: 7 as const, ip })),
  ];
  const pems = await generate([{ name: 'commonName', value: 'berth-controller' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + TEN_YEARS_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint: certificateFingerprint(new X509Certificate(pems.cert).raw) };
}
