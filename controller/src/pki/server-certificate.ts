// A TLS server certificate for the controller's own addresses, with a fresh P-256 key.
import { generateKeyPair } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { BerthError } from '../errors/index.ts';
import { signLeaf } from './sign-leaf.ts';
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
  const { publicKey, privateKey } = await generateP256();
  const { certPem } = signLeaf(ca, {
    commonName: dnsNames[0] ?? ipAddresses[0],
    organization: 'Berth',
    spkiDer: publicKey.export({ format: 'der', type: 'spki' }),
    extendedKeyUsage: 'serverAuth',
    dnsNames,
    ipAddresses,
    ttlMs: req.ttlMs,
    now: req.now,
  });
  return { certPem, keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), caPem: ca.certPem };
}

const generateP256 = () => promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' });
