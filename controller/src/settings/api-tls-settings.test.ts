import { describe, expect, it } from 'vitest';
import { assertApiTlsAllowed, resolveApiTls } from './api-tls-settings.ts';

describe('resolveApiTls', () => {
  it('serves HTTPS with a certificate from the Berth CA by default, on any address', () => {
    expect(resolveApiTls({}, '0.0.0.0')).toEqual({ mode: 'ca', extraNames: [] });
    expect(resolveApiTls({ tlsSan: 'berth.example.com, 203.0.113.10' }, '0.0.0.0')).toEqual({ mode: 'ca', extraNames: ['berth.example.com', '203.0.113.10'] });
  });

  it("uses the operator's certificate and key when both are given", () => {
    expect(resolveApiTls({ tlsCert: '/etc/berth/api.crt', tlsKey: '/etc/berth/api.key' }, '0.0.0.0')).toEqual({
      mode: 'files',
      certFile: '/etc/berth/api.crt',
      keyFile: '/etc/berth/api.key',
    });
  });

  it('allows plain HTTP on loopback only', () => {
    expect(resolveApiTls({ tls: 'off' }, '127.0.0.1')).toEqual({ mode: 'off' });
    expect(resolveApiTls({ tls: 'off' }, '::1')).toEqual({ mode: 'off' });
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'berth.example.com']) {
      expect(() => resolveApiTls({ tls: 'off' }, host)).toThrow(`not "${host}"`);
    }
  });

  it('refuses contradictions and bad values, naming the setting', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    expect(field(() => resolveApiTls({ tls: 'maybe' }, '127.0.0.1'))).toBe('tls');
    expect(field(() => resolveApiTls({ tlsCert: '/a' }, '0.0.0.0'))).toBe('tlsKey');
    expect(field(() => resolveApiTls({ tlsKey: '/a' }, '0.0.0.0'))).toBe('tlsCert');
    expect(field(() => resolveApiTls({ tls: 'off', tlsCert: '/a', tlsKey: '/b' }, '127.0.0.1'))).toBe('tls');
    expect(field(() => resolveApiTls({ tlsSan: 'bad name' }, '0.0.0.0'))).toBe('tlsSan');
    expect(field(() => resolveApiTls({ tlsSan: 'x.example.com', tlsCert: '/a', tlsKey: '/b' }, '0.0.0.0'))).toBe('tlsSan');
  });

  it('is enforced again when the controller starts, whoever built the settings', () => {
    expect(() => assertApiTlsAllowed({ mode: 'off' }, '0.0.0.0')).toThrow('plain HTTP');
    expect(() => assertApiTlsAllowed({ mode: 'ca', extraNames: [] }, '0.0.0.0')).not.toThrow();
  });
});
