import { describe, expect, it } from 'vitest';
import { assertSafeServer, trustFailure } from './server-trust.ts';

describe('assertSafeServer', () => {
  it('allows HTTPS anywhere and plain HTTP only on this machine', () => {
    expect(() => assertSafeServer('https://berth.example.com:7070/')).not.toThrow();
    expect(() => assertSafeServer('http://127.0.0.1:7070/')).not.toThrow();
    expect(() => assertSafeServer('http://localhost:7070/')).not.toThrow();
    expect(() => assertSafeServer('http://10.0.0.1:7070/')).toThrow('is plain HTTP');
  });
});

describe('trustFailure', () => {
  const wrapped = (code: string, message: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

  it('turns a failed certificate check into an Untrusted error that says what to do', () => {
    const err = trustFailure('https://b:1', wrapped('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), undefined);
    expect(err?.code).toBe('Untrusted');
    expect(err?.message).toContain(
      'refusing to talk to https://b:1: self-signed certificate in certificate chain; no CA is configured for it: pass --certificate-authority FILE',
    );
  });

  it('says when the certificate is for another address', () => {
    expect(trustFailure('https://b:1', wrapped('ERR_TLS_CERT_ALTNAME_INVALID', "IP: 10.0.0.9 is not in the cert's list"), 'PEM')?.message).toContain(
      'its certificate is not for this address',
    );
  });

  it('leaves other network failures alone', () => {
    expect(trustFailure('https://b:1', wrapped('ECONNREFUSED', 'connect ECONNREFUSED'), undefined)).toBeUndefined();
  });
});
