// A TLS server certificate for the controller's own addresses, with a fresh P-256 key.
import { isIP } from 'node:net';
import { BerthError } from '../errors/index.ts';
import { toPem } from './key-pem.ts';
import { signLeaf } from './sign-leaf.ts';
import { EC_P256, subtle, x509 } from './x509.ts';
import type { CertificateAuthority } from './certificate-authority.ts';
import { isHostName } from './host-name.ts';

export interface ServerCertificateRequest {
  dnsNames?: string[];
  ipAddresses?: string[];
  ttlMs: number;
  now?: number;
}

export interface IssuedServerCertificate {
  certPem: string;
  keyPem: string;
  /** The CA certificate, to send after the leaf so that clients can see the whole chain. */
  caPem: string;
}

export async function issueServerCertificate(ca: CertificateAuthority, req: ServerCertificateRequest): Promise<IssuedServerCertificate> {
  const dnsNames = [...new Set(req.dnsNames ?? [])];
  const ipAddresses = [...new Set(req.ipAddresses ?? [])];
  for (const d of dnsNames) if (!isHostName(d)) throw new BerthError('Invalid', `dnsNames: "${d}" is not a host name`, 'dnsNames');
  for (const ip of ipAddresses) if (!isIP(ip)) throw new BerthError('Invalid', `ipAddresses: "${ip}" is not an IP address`, 'ipAddresses');
  if (dnsNames.length + ipAddresses.length === 0)
    throw new BerthError('Invalid', 'dnsNames, ipAddresses: a server certificate needs at least one name or address', 'dnsNames');
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certPem = await signLeaf(ca, {
    subject: [{ CN: [dnsNames[0] ?? ipAddresses[0]] }, { O: ['Berth'] }],
    publicKey: await x509.PublicKey.create(keys.publicKey),
    extendedKeyUsage: x509.ExtendedKeyUsage.serverAuth,
    altNames: [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ipAddresses.map((value) => ({ type: 'ip' as const, value }))],
    ttlMs: req.ttlMs,
    now: req.now,
  });
  return { certPem, keyPem: toPem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'), caPem: ca.certPem };
}
