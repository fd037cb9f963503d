import { createPublicKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { loadCertificateAuthority } from './certificate-authority.ts';
import { issueClientCertificate } from './client-certificate.ts';
import { createCertificateAuthority } from './create-ca.ts';
import { issueServerCertificate } from './server-certificate.ts';
import { x509 } from './x509.ts';

const newCa = async () => loadCertificateAuthority(await createCertificateAuthority());
const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function p256() {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

async function csrFor(commonName: string) {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: alg })).toString('pem');
}

describe('issueClientCertificate', () => {
  it('issues a clientAuth certificate for the public key, with CN = the node name, that verifies against the CA', async () => {
    const ca = await newCa();
    const { publicKey, privateKey } = p256();
    const cert = new X509Certificate((await issueClientCertificate(ca, { commonName: 'cn1', publicKey, ttlMs: DAY })).certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=cn1');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.ca).toBe(false);
    expect(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(privateKey)))).toBe(true);
  });

  it('takes a CSR, but the name is the one the CA was told, never the one the CSR asks for', async () => {
    const ca = await newCa();
    const cert = new X509Certificate((await issueClientCertificate(ca, { commonName: 'cn1', csrPem: await csrFor('cn2'), ttlMs: DAY })).certPem);
    expect(cert.subject).toBe('CN=cn1');
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
  });

  it('is accepted by a TLS server that requires client certificates from the CA, and names the node', async () => {
    const ca = await newCa();
    const server = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'], ttlMs: DAY });
    const { publicKey, privateKey } = p256();
    const client = await issueClientCertificate(ca, { commonName: 'cn1', publicKey, ttlMs: DAY });
    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.end(String(s.getPeerCertificate().subject.CN));
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    try {
      const socket = tls.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, ca: ca.certPem, cert: client.certPem, key: privateKey });
      let text = '';
      socket.on('data', (d) => {
        text += d;
      });
      await once(socket, 'end');
      expect(text).toBe('cn1');
    } finally {
      srv.close();
    }
  });

  it('refuses a CSR whose signature does not match its key, a weak key and a bad name, naming the field', async () => {
    const ca = await newCa();
    const csr = await csrFor('cn1');
    const tampered = csr.replace(
      /([A-Za-z0-9+/]{10})(=*\n-----END)/,
      (_m, body: string, end: string) => body.slice(0, -2) + (body.endsWith('AA') ? 'BB' : 'AA') + end,
    );
    await expect(issueClientCertificate(ca, { commonName: 'cn1', csrPem: tampered, ttlMs: DAY })).rejects.toMatchObject({ field: 'csrPem' });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await expect(issueClientCertificate(ca, { commonName: 'cn1', publicKey: weak, ttlMs: DAY })).rejects.toMatchObject({ field: 'publicKey' });
    await expect(issueClientCertificate(ca, { commonName: 'cn1', publicKey: 'nonsense', ttlMs: DAY })).rejects.toMatchObject({ field: 'publicKey' });
    await expect(issueClientCertificate(ca, { commonName: 'cn1,O=admin', publicKey: p256().publicKey, ttlMs: DAY })).rejects.toMatchObject({
      field: 'commonName',
    });
    await expect(issueClientCertificate(ca, { commonName: 'cn1', ttlMs: DAY })).rejects.toMatchObject({ field: 'publicKey' });
  });

  it('certifies the same P-256 key given as PEM or DER, and other key types as well', async () => {
    const ca = await newCa();
    const { publicKey } = p256();
    const der = createPublicKey(publicKey).export({ type: 'spki', format: 'der' });
    for (const key of [publicKey, der]) {
      const issued = await issueClientCertificate(ca, { commonName: 'cn1', publicKey: key, ttlMs: DAY });
      expect(issued.spkiDer.equals(der)).toBe(true);
      expect(new X509Certificate(issued.certPem).publicKey.export({ type: 'spki', format: 'der' }).equals(der)).toBe(true);
    }
    for (const other of [generateKeyPairSync('ed25519').publicKey, generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey]) {
      const issued = await issueClientCertificate(ca, { commonName: 'cn1', publicKey: other.export({ type: 'spki', format: 'pem' }) as string, ttlMs: DAY });
      expect(new X509Certificate(issued.certPem).publicKey.equals(other)).toBe(true);
    }
  });

  it('refuses a P-256 key whose point is not on the curve, naming the field', async () => {
    const ca = await newCa();
    const der = createPublicKey(p256().publicKey).export({ type: 'spki', format: 'der' });
    der[der.length - 1] ^= 1; // y no longer matches x
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;
    for (const key of [der, pem]) {
      await expect(issueClientCertificate(ca, { commonName: 'cn1', publicKey: key, ttlMs: DAY })).rejects.toMatchObject({ field: 'publicKey' });
    }
  });
});
