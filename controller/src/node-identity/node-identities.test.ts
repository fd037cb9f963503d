// Node identities against a real SQLite store: one name, one key; the same key may ask again.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, loadCertificateAuthority } from '../pki/index.ts';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { NodeIdentities } from './node-identities.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T12:00:00Z');
let dir: string;
let store: Store;
let identities: NodeIdentities;

const publicKeyPem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
const claim = (key: string, now = T0, nameExists?: boolean) =>
  identities.claim({ nodeName: 'cn1', publicKeyPem: key, address: '10.0.0.11', cores: 4, memoryMiB: 1024, nameExists }, now);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ni-'));
  store = await openTestStore(dir);
  const ca = await loadCertificateAuthority(await createCertificateAuthority({ now: T0 }));
  identities = new NodeIdentities(store.db, ca, 30 * DAY, pino({ level: 'silent' }));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node identities', () => {
  it('issues a certificate whose serial and expiry are the ones stored for the node', async () => {
    const issued = await claim(publicKeyPem());
    const cert = new X509Certificate(issued!.certificatePem);
    const node = await store.db.node.findUniqueOrThrow({ where: { name: 'cn1' } });
    expect(node.identitySerial).toBe(cert.serialNumber.toLowerCase());
    expect(node.identityExpiresAt!.getTime()).toBe(Date.parse(cert.validTo));
    expect(issued!.expiresAtMs).toBe(T0 + 30 * DAY);
  });

  it('issues again to the key that holds the name (its first answer was lost), never to another key', async () => {
    const key = publicKeyPem();
    const first = await claim(key);
    const again = await claim(key, T0 + 1000);
    expect(again).toBeDefined();
    expect(new X509Certificate(again!.certificatePem).serialNumber).not.toBe(new X509Certificate(first!.certificatePem).serialNumber);
    expect(await claim(publicKeyPem(), T0 + 2000)).toBeUndefined();
    const node = await store.db.node.findUniqueOrThrow({ where: { name: 'cn1' } });
    expect(node.identitySerial).toBe(new X509Certificate(again!.certificatePem).serialNumber.toLowerCase());
  });

  it('gives a revoked name to a new key', async () => {
    await claim(publicKeyPem());
    await identities.revoke('cn1', T0 + 1000);
    expect(await claim(publicKeyPem(), T0 + 2000)).toBeDefined();
  });

  it('decides the same whatever the caller believed about the name: the hint orders the writes, never the outcome', async () => {
    for (const hint of [true, false]) {
      await store.db.node.deleteMany({});
      const key = publicKeyPem();
      expect(await claim(key, T0, hint)).toBeDefined(); // a new name, also when believed taken
      expect(await claim(key, T0 + 1000, !hint)).toBeDefined(); // the same key again
      expect(await claim(publicKeyPem(), T0 + 2000, false)).toBeUndefined(); // believed free, but held
      expect(await claim(publicKeyPem(), T0 + 2000, true)).toBeUndefined();
      expect(await store.db.node.count()).toBe(1);
    }
  });
});
