// How a certificate is named to a person or pinned by a program: SHA-256 of its DER bytes.
import { createHash, X509Certificate } from 'node:crypto';

/** SHA-256 of the certificate's DER, lower-case hex (the form join tokens carry). */
export function certificateFingerprint(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** `AB:CD:...`, the form browsers and `openssl x509 -fingerprint -sha256` print, for prompts. */
export function formatFingerprint(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}
