// A new certificate authority in memory: a P-256 key and a self-signed CA certificate that may
// sign leaf certificates only (path length 0). No files: ca-files.ts keeps it.
import { randomBytes } from 'node:crypto';
import { endWithNewline, toPem } from './key-pem.ts';

export interface CaPems {
  certPem: string;
  keyPem: string;
}

/** Ten years: clients keep the CA in their config, so it should outlive any one server cert. */
export const CA_TTL_MS = 10 * 365 * 86_400_000;
/** Certificates start a little in the past, so a client whose clock lags still accepts them. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export async function createCertificateAuthority(opts: { now?: number; ttlMs?: number } = {}): Promise<CaPems> {
  // @peculiar/x509 (asn1js and friends) is loaded only when a CA is made: once per cluster.
  const { EC_P256, subtle, x509 } = await import('./x509.ts');
  const now = opts.now ?? Date.now();
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  // A random suffix: two clusters' CAs must not share a subject, or a client holding both
  // could build a chain through the wrong one.
  const name = `CN=Berth CA ${randomBytes(4).toString('hex')}, O=Berth`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + (opts.ttlMs ?? CA_TTL_MS)),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: endWithNewline(cert.toString('pem')), keyPem: toPem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

/** 16 random bytes with the top bit clear: a positive serial, unique in practice (RFC 5280 4.1.2.2). */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01; // no leading zero byte to be trimmed
  return bytes.toString('hex');
}
