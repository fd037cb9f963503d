// PEM text of DER bytes.

export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = (der instanceof Uint8Array ? Buffer.from(der.buffer, der.byteOffset, der.byteLength) : Buffer.from(der))
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** @peculiar/x509 ends its PEM without a newline; concatenated PEMs (a chain) need one. */
export function endWithNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
