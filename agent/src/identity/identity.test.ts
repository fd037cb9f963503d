import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renewalDelayMs } from './client-identity.ts';
import { FileIdentityStore } from './identity-files.ts';

const MIN = 60_000;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('node identity renewal', () => {
  it('is due at two thirds of the life counted from receipt, not from a backdated notBefore', () => {
    const t = Date.parse('2026-12-01T12:00:00Z');
    // 30 days issued at t, notBefore backdated 5 minutes for clock skew.
    const id = { notBeforeMs: t - 5 * MIN, notAfterMs: t + 30 * 1440 * MIN, receivedAtMs: t };
    expect(renewalDelayMs(id, t)).toBe(20 * 1440 * MIN);
    expect(renewalDelayMs({ notBeforeMs: t - 5 * MIN, notAfterMs: t + 30_000, receivedAtMs: t }, t)).toBe(20_000);
    expect(renewalDelayMs(id, t + 29 * 1440 * MIN)).toBe(0);
  });
});

describe('the identity files', () => {
  it('make one key, 0600 in a 0700 directory, and keep it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-id-'));
    const store = new FileIdentityStore(join(dir, 'identity'));
    const first = await store.publicKey();
    expect(await store.publicKey()).toBe(first);
    await expect(new FileIdentityStore(join(dir, 'identity')).publicKey()).resolves.toBe(first);
    expect(statSync(join(dir, 'identity', 'node.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'identity')).mode & 0o777).toBe(0o700);
    expect(await store.current()).toBeUndefined();
    await expect(store.save('not a certificate')).rejects.toThrow(/not for this node's key/);
  });
});
