// Signs an end-entity certificate with the CA: never a CA itself, a digital-signature key usage,
// the given extended key usage and names, and key identifiers that tie it to the CA.
import { BerthError } from '../errors/index.ts';
import { endWithNewline } from './key-pem.ts';
import { CLOCK_SKEW_MS, serialNumber } from './create-ca.ts';
import { EC_P256, x509 } from './x509.ts';
import type { CertificateAuthority } from './certificate-authority.ts';

export interface LeafRequest {
  subject: x509.JsonName;
  publicKey: x509.PublicKey;
  extendedKeyUsage: x509.ExtendedKeyUsage;
  altNames?: x509.JsonGeneralNames;
  ttlMs: number;
  now?: number;
}

export async function signLeaf(ca: CertificateAuthority, req: LeafRequest): Promise<string> {
  if (!Number.isInteger(req.ttlMs) || req.ttlMs <= 0)
    throw new BerthError('Invalid', `ttl: must be a positive whole number of milliseconds, got ${req.ttlMs}`, 'ttl');
  const now = req.now ?? Date.now();
  // A leaf never outlives its CA: past the CA's end a client would refuse it anyway.
  const notAfter = new Date(Math.min(now + req.ttlMs, ca.cert.notAfter.getTime()));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([req.extendedKeyUsage], false),
    await x509.SubjectKeyIdentifierExtension.create(req.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  if (req.altNames?.length) extensions.push(new x509.SubjectAlternativeNameExtension(req.altNames, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: req.subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    publicKey: req.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: EC_P256,
    extensions,
  });
  return endWithNewline(cert.toString('pem'));
}
