// The few DER encodings a leaf certificate needs, and a reader for the two fields Berth takes out
// of certificates and keys. @peculiar/x509 builds a certificate through asn1js schemas at ~5 ms of
// CPU each; a thousand nodes joining at once spent seconds there. A fixed-shape leaf is a
// handful of TLVs, written here directly and signed with node:crypto.

/** A TLV: tag byte, DER length, contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  const n = contents.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), contents]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const booleanTrue = (): Buffer => Buffer.from([0x01, 0x01, 0xff]);
/** [n] EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);
/** [n] IMPLICIT of a primitive type. */
export const implicit = (n: number, contents: Uint8Array): Buffer => tlv(0x80 | n, contents);

/** A non-negative INTEGER from big-endian bytes (a leading zero is added when the top bit is set). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** A BIT STRING with no unused bits, or a short named-bit list with `unused` trailing bits. */
export const bitString = (bytes: Uint8Array, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds, always Z. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-12-01T15:44:42.123Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the contents in the buffer. */
  start: number;
  end: number;
}

/** Reads one TLV at `offset`; throws on anything truncated or longer than the buffer. */
export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4 || start + count > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + buf[start + i];
    start += count;
  }
  if (start + len > buf.length) throw new Error('DER: truncated');
  return { tag, offset, start, end: start + len };
}

/** The children of a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** The subjectPublicKey bits of an SPKI (RFC 5280 4.2.1.2 key identifiers hash these). */
export function subjectPublicKeyBits(spkiDer: Uint8Array): Buffer {
  const [, bits] = children(spkiDer, readTlv(spkiDer, 0));
  if (bits?.tag !== 0x03) throw new Error('DER: not a SubjectPublicKeyInfo');
  return Buffer.from(spkiDer.subarray(bits.start + 1, bits.end));
}

/** The encoded subject Name of a certificate: what a certificate it signs names as issuer. */
export const certificateSubject = (certDer: Uint8Array): Buffer => tbsField(certDer, 5, 0x30);

/** The SubjectPublicKeyInfo of a certificate, DER. */
export const certificateSpki = (certDer: Uint8Array): Buffer => tbsField(certDer, 6, 0x30);

/** Field `index` of a v3 TBSCertificate: version, serial, signature, issuer, validity, subject, spki, ... */
function tbsField(certDer: Uint8Array, index: number, tag: number): Buffer {
  const [tbs] = children(certDer, readTlv(certDer, 0));
  if (tbs?.tag !== 0x30) throw new Error('DER: not a certificate');
  const fields = children(certDer, tbs);
  // version [0] is absent only in v1 certificates, which have no extensions
  const field = fields[fields[0]?.tag === 0xa0 ? index : index - 1];
  if (field?.tag !== tag) throw new Error('DER: not a certificate');
  return Buffer.from(certDer.subarray(field.offset, field.end));
}
