// How a certificate is named to a person or pinned by a program: SHA-256 of its DER bytes.

/** SHA-256 of the certificate's DER, lower-case hex (the form join tokens carry). */
export function certificateFingerprint(certPem: string): string {
  // node:crypto on use: the CLI bundles this file, and most commands never hash a certificate.
  const { createHash, X509Certificate } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

/** `AB:CD:...`, the form browsers and `openssl x509 -fingerprint -sha256` print, for prompts. */
export function formatFingerprint(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}
