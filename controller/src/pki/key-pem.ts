// PEM text of DER bytes, and back to a WebCrypto signing key.
import { createPrivateKey } from 'node:crypto';
import { EC_P256, subtle } from './x509.ts';

export function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** The CA's private key (PKCS#8 PEM, or SEC1 `EC PRIVATE KEY`) as a key that can sign. */
export async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  return subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
}

/** @peculiar/x509 ends its PEM without a newline; concatenated PEMs (a chain) need one. */
export function endWithNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
