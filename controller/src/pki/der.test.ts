import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateSpki, certificateSubject, objectIdentifier, readTlv, subjectPublicKeyBits, time, tlv, unsignedInteger } from './der.ts';
import { createCertificateAuthority } from './create-ca.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('DER encoding', () => {
  it('writes short and long lengths', () => {
    expect(hex(tlv(0x04, Buffer.alloc(3)))).toBe('0403000000');
    expect(hex(tlv(0x04, Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it('writes object identifiers with multi-byte arcs (RFC example 1.2.840.113549)', () => {
    expect(hex(objectIdentifier('1.2.840.113549'))).toBe('06062a864886f70d');
    expect(hex(objectIdentifier('2.5.29.37'))).toBe('0603551d25');
  });

  it('keeps integers positive and minimal', () => {
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(unsignedInteger(Buffer.from([0, 0, 5])))).toBe('020105');
  });

  it('uses UTCTime before 2050 and GeneralizedTime from 2050 (RFC 5280 4.1.2.5)', () => {
    expect(time(new Date('2026-12-01T15:44:42.999Z')).subarray(2).toString()).toBe('261201154442Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
    expect(time(new Date('2050-01-01T00:00:00Z')).subarray(2).toString()).toBe('20500101000000Z');
  });

  it('refuses truncated input instead of reading past it', () => {
    expect(() => readTlv(Buffer.from([0x30, 0x05, 0x01]), 0)).toThrow(/truncated/);
    expect(() => readTlv(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 0)).toThrow(/truncated/);
  });
});

describe('DER reading', () => {
  it("takes an EC key's point out of its SPKI", () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = subjectPublicKeyBits(publicKey.export({ format: 'der', type: 'spki' }));
    expect(point.length).toBe(65);
    expect(point[0]).toBe(0x04);
    const jwk = publicKey.export({ format: 'jwk' });
    expect(point.subarray(1, 33).toString('base64url')).toBe(jwk.x);
  });

  it("finds a certificate's subject Name", async () => {
    const { certPem } = await createCertificateAuthority();
    const raw = new X509Certificate(certPem).raw;
    const subject = certificateSubject(raw);
    expect(subject[0]).toBe(0x30);
    // the CA is self-signed: its subject appears twice, as issuer and as subject
    expect(raw.indexOf(subject)).not.toBe(raw.lastIndexOf(subject));
    expect(subject.toString('latin1')).toContain('Berth CA');
  });

  it("finds a certificate's public key, and refuses what is not a certificate", async () => {
    const cert = new X509Certificate((await createCertificateAuthority()).certPem);
    expect(certificateSpki(cert.raw).equals(cert.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => certificateSpki(publicKey.export({ format: 'der', type: 'spki' }))).toThrow(/not a certificate/);
  });
});
