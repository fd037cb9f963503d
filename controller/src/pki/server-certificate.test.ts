import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadCertificateAuthority } from './certificate-authority.ts';
import { createCertificateAuthority } from './create-ca.ts';
import { issueServerCertificate } from './server-certificate.ts';

const newCa = async () => loadCertificateAuthority(await createCertificateAuthority());
const DAY = 86_400_000;
const run = promisify(execFile);

/** Completes a TLS handshake to a server with this certificate; resolves with the client's verdict. */
async function handshake(server: { certPem: string; keyPem: string; caPem: string }, ca: string, servername: string | undefined, host = '127.0.0.1') {
  const srv = tls.createServer({ cert: server.certPem + server.caPem, key: server.keyPem }, (s) => s.end()); // the chain, as the API sends it
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    const socket = tls.connect({ host, port: (srv.address() as AddressInfo).port, ca, servername });
    return await new Promise<string>((resolve) => {
      socket.once('secureConnect', () => {
        resolve('trusted');
        socket.destroy();
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
  } finally {
    srv.close();
  }
}

describe('issueServerCertificate', () => {
  it('issues a certificate that verifies against the CA and carries the requested names', async () => {
    const ca = await newCa();
    const issued = await issueServerCertificate(ca, { dnsNames: ['localhost', 'berth.example.com'], ipAddresses: ['127.0.0.1', '10.0.0.1'], ttlMs: DAY });
    const cert = new X509Certificate(issued.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:berth.example.com, IP Address:127.0.0.1, IP Address:10.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    expect(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(issued.keyPem)))).toBe(true);
    expect(issued.caPem).toBe(ca.certPem);
  });

  it('carries IPv6 addresses, and OpenSSL verifies it and reads the same extensions', async () => {
    const ca = await newCa();
    const issued = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['::1', 'fd00::10:2', '::ffff:10.0.0.1'], ttlMs: DAY });
    expect(new X509Certificate(issued.certPem).subjectAltName).toBe(
      'DNS:localhost, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:10:2, IP Address:0:0:0:0:0:FFFF:A00:1',
    );
    const dir = await mkdtemp(join(tmpdir(), 'berth-openssl-'));
    try {
      await writeFile(join(dir, 'ca.pem'), ca.certPem);
      await writeFile(join(dir, 'leaf.pem'), issued.certPem);
      const verify = await run('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')]);
      expect(verify.stdout).toContain('leaf.pem: OK');
      const text = (await run('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'leaf.pem')])).stdout;
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
      expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
      expect(text).toContain('Subject: CN = localhost, O = Berth');
      expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
      const caText = (await run('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'ca.pem')])).stdout;
      const caKeyId = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
      expect(caKeyId).toBeDefined();
      expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caKeyId}`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is accepted in a real TLS handshake by a client that trusts the CA, for an address in its SANs', async () => {
    const ca = await newCa();
    const issued = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'], ttlMs: DAY });
    expect(await handshake(issued, ca.certPem, undefined)).toBe('trusted');
  });

  it('is refused by a client that trusts another CA, or for a name not in its SANs', async () => {
    const ca = await newCa();
    const issued = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'], ttlMs: DAY });
    expect(await handshake(issued, (await newCa()).certPem, undefined)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(await handshake(issued, ca.certPem, 'other.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('ends no later than the CA and starts a few minutes in the past', async () => {
    const ca = await newCa();
    const now = Date.now();
    const issued = new X509Certificate((await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'], ttlMs: 100 * 365 * DAY, now })).certPem);
    expect(new Date(issued.validTo).getTime()).toBeLessThanOrEqual(new Date(new X509Certificate(ca.certPem).validTo).getTime());
    expect(new Date(issued.validFrom).getTime()).toBeLessThan(now);
  });

  it('refuses bad names, addresses and lifetimes naming the field', async () => {
    const ca = await newCa();
    await expect(issueServerCertificate(ca, { dnsNames: ['bad name'], ttlMs: DAY })).rejects.toMatchObject({ field: 'dnsNames' });
    await expect(issueServerCertificate(ca, { ipAddresses: ['300.1.1.1'], ttlMs: DAY })).rejects.toMatchObject({ field: 'ipAddresses' });
    await expect(issueServerCertificate(ca, { ttlMs: DAY })).rejects.toMatchObject({ field: 'dnsNames' });
    await expect(issueServerCertificate(ca, { dnsNames: ['localhost'], ttlMs: -1 })).rejects.toMatchObject({ field: 'ttl' });
  });
});
