// A CA ready to sign: its certificate and a non-extractable signing key. Loading checks that the
// key belongs to the certificate, so a mixed-up pair fails at start-up, not at a client.
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate as NodeCertificate } from 'node:crypto';
import { BerthError } from '../errors/index.ts';
import { certificateFingerprint } from './fingerprint.ts';
import { certificateSubject } from './der.ts';
import { keyIdentifier } from './sign-leaf.ts';
import type { CaPems } from './create-ca.ts';

export interface CertificateAuthority {
  /** The CA certificate (PEM): what clients are given to trust. */
  certPem: string;
  privateKey: KeyObject;
  /** The CA's subject, DER: the issuer of everything it signs. */
  subjectDer: Buffer;
  /** Its key identifier, for the authority key identifier of what it signs. */
  keyId: Buffer;
  notAfter: Date;
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
  let privateKey: KeyObject;
  const spki = node.publicKey.export({ format: 'der', type: 'spki' });
  try {
    privateKey = createPrivateKey(pems.keyPem);
    keyMatches = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).equals(spki);
  } catch {
    throw new BerthError('Invalid', `${where}: the CA key is not a PEM private key`, 'ca');
  }
  if (!keyMatches) throw new BerthError('Invalid', `${where}: the CA key does not belong to the CA certificate`, 'ca');
  // sign-leaf.ts signs ECDSA with SHA-256 only, the algorithm Berth makes its CA with
  if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new BerthError('Invalid', `${where}: the CA key must be an EC P-256 key`, 'ca');
  return {
    certPem: pems.certPem,
    privateKey,
    subjectDer: certificateSubject(node.raw),
    keyId: keyIdentifier(spki),
    notAfter: new Date(node.validTo),
    fingerprint: certificateFingerprint(pems.certPem),
  };
}
