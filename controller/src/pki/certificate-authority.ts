// A CA ready to sign: its certificate and a non-extractable signing key. Loading checks that the
// key belongs to the certificate, so a mixed-up pair fails at start-up, not at a client.
import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate } from 'node:crypto';
import { BerthError } from '../errors/index.ts';
import { certificateFingerprint } from './fingerprint.ts';
import { importSigningKey } from './key-pem.ts';
import { x509 } from './x509.ts';
import type { CaPems } from './create-ca.ts';

export interface CertificateAuthority {
  /** The CA certificate (PEM): what clients are given to trust. */
  certPem: string;
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
  /** SHA-256 of the CA certificate, lower-case hex. */
  fingerprint: string;
}

export async function loadCertificateAuthority(pems: CaPems, where = 'the CA'): Promise<CertificateAuthority> {
  let node: NodeCertificate;
  try {
    node = new NodeCertificate(pems.certPem);
  } catch {
    throw new BerthError('Invalid', `${where}: the CA certificate is not a PEM certificate`, 'ca');
  }
  if (!node.ca) throw new BerthError('Invalid', `${where}: the certificate is not a CA certificate`, 'ca');
  let keyMatches = false;
  try {
    const fromKey = createPublicKey(createPrivateKey(pems.keyPem)).export({ format: 'der', type: 'spki' });
    keyMatches = fromKey.equals(node.publicKey.export({ format: 'der', type: 'spki' }));
  } catch {
    throw new BerthError('Invalid', `${where}: the CA key is not a PEM private key`, 'ca');
  }
  if (!keyMatches) throw new BerthError('Invalid', `${where}: the CA key does not belong to the CA certificate`, 'ca');
  return {
    certPem: pems.certPem,
    cert: new x509.X509Certificate(pems.certPem),
    signingKey: await importSigningKey(pems.keyPem),
    fingerprint: certificateFingerprint(pems.certPem),
  };
}
