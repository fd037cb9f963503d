import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '@berth/proto';
import { CertificateMismatchError, pinnedCredentialsFor } from './pinned-credentials.ts';

let dir: string;
let server: tls.Server;
let address: string;
let fingerprint: string;
let handshakes = 0; // TCP connections accepted

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-pin-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    '/CN=controller',
    '-days',
    '1',
  ]);
  const pem = await readFile(cert, 'utf8');
  fingerprint = certificateFingerprint(new X509Certificate(pem).raw);
  server = tls.createServer({ key: await readFile(key), cert: pem, ALPNProtocols: ['h2'] }, (s) => s.end());
  server.on('connection', () => handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pinned controller credentials', () => {
  it("fetch the controller's certificate once per agent, however many channels it opens", async () => {
    const before = handshakes;
    const pinned = pinnedCredentialsFor(address, fingerprint);
    await pinned();
    await pinned();
    await pinned();
    expect(handshakes - before).toBe(1);
  });

  it('refuse a certificate other than the pinned one, and keep nothing from the attempt', async () => {
    const before = handshakes;
    const pinned = pinnedCredentialsFor(address, 'f'.repeat(64));
    await expect(pinned()).rejects.toBeInstanceOf(CertificateMismatchError);
    await expect(pinned()).rejects.toBeInstanceOf(CertificateMismatchError);
    expect(handshakes - before).toBe(2);
  });
});
