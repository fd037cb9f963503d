// Signs an end-entity certificate with the CA: never a CA itself, a digital-signature key usage,
// the given extended key usage and names, and key identifiers that tie it to the CA. Encoded by
// hand (der.ts) and signed by node:crypto: a node's first join must not cost milliseconds of CPU.
import { createHash, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { BerthError } from '../errors/index.ts';
import { CLOCK_SKEW_MS, serialNumber } from './create-ca.ts';
import {
  bitString,
  booleanTrue,
  explicit,
  implicit,
  objectIdentifier,
  octetString,
  sequence,
  set,
  subjectPublicKeyBits,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';
import type { CertificateAuthority } from './certificate-authority.ts';
import { toPem } from './key-pem.ts';

export const EXTENDED_KEY_USAGE = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

export interface LeafRequest {
  commonName: string;
  organization?: string;
  /** The subject's public key, SPKI DER. */
  spkiDer: Buffer;
  extendedKeyUsage: keyof typeof EXTENDED_KEY_USAGE;
  dnsNames?: string[];
  ipAddresses?: string[];
  ttlMs: number;
  now?: number;
}

export interface SignedLeaf {
  certPem: string;
  /** Lower-case hex, as X509Certificate#serialNumber gives it. */
  serial: string;
  notAfter: Date;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
};

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export const keyIdentifier = (spkiDer: Buffer): Buffer => createHash('sha1').update(subjectPublicKeyBits(spkiDer)).digest();

export function signLeaf(ca: CertificateAuthority, req: LeafRequest): SignedLeaf {
  if (!Number.isInteger(req.ttlMs) || req.ttlMs <= 0)
    throw new BerthError('Invalid', `ttl: must be a positive whole number of milliseconds, got ${req.ttlMs}`, 'ttl');
  const now = req.now ?? Date.now();
  // A leaf never outlives its CA: past the CA's end a client would refuse it anyway.
  const notAfter = new Date(Math.floor(Math.min(now + req.ttlMs, ca.notAfter.getTime()) / 1000) * 1000);
  const serial = serialNumber();
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(Buffer.from(serial, 'hex')),
    algorithm,
    ca.subjectDer,
    sequence(time(new Date(now - CLOCK_SKEW_MS)), time(notAfter)),
    name(req),
    req.spkiDer,
    explicit(3, sequence(...extensions(ca, req))),
  );
  const signature = sign('sha256', tbs, { key: ca.privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, algorithm, bitString(signature));
  return { certPem: toPem(der, 'CERTIFICATE'), serial, notAfter };
}

function name(req: LeafRequest): Buffer {
  const rdn = (oid: string, value: string) => set(sequence(objectIdentifier(oid), utf8String(value)));
  return sequence(rdn(OID.commonName, req.commonName), ...(req.organization ? [rdn(OID.organization, req.organization)] : []));
}

function extensions(ca: CertificateAuthority, req: LeafRequest): Buffer[] {
  const ext = (oid: string, critical: boolean, value: Buffer) => sequence(objectIdentifier(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
  // digitalSignature (bit 0) and keyEncipherment (bit 2): 1010 0000 with 5 unused bits
  const out = [
    ext(OID.basicConstraints, true, sequence()),
    ext(OID.keyUsage, true, bitString(Buffer.from([0xa0]), 5)),
    ext(OID.extKeyUsage, false, sequence(objectIdentifier(EXTENDED_KEY_USAGE[req.extendedKeyUsage]))),
    ext(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(req.spkiDer))),
    ext(OID.authorityKeyIdentifier, false, sequence(implicit(0, ca.keyId))),
  ];
  const alt = [...(req.dnsNames ?? []).map((d) => implicit(2, Buffer.from(d, 'ascii'))), ...(req.ipAddresses ?? []).map((ip) => implicit(7, ipBytes(ip)))];
  if (alt.length > 0) out.push(ext(OID.subjectAltName, false, sequence(...alt)));
  return out;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and any embedded dotted quad into eight 16-bit groups
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(missing).fill('0'), ...groups(tail)];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
