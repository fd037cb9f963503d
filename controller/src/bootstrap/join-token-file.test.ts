// DATA_DIR/join-token against a real SQLite store: kept while usable, replaced once it is not.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJoinToken } from '@berth/proto';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { ensureJoinTokenFile } from './join-token-file.ts';
import { checkBootstrapToken, revokeBootstrapToken, TokenUses } from './token-store.ts';

const FP = 'a'.repeat(64);
const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T12:00:00Z');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-jt-'));
  store = await openTestStore(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ensure = (now: number, fromEnv?: string) =>
  ensureJoinTokenFile({ db: store.db, dataDir: dir, fingerprint: FP, ttlMs: 24 * HOUR, now, log: pino({ level: 'silent' }), fromEnv });
const secretOf = (token: string) => parseJoinToken(token)!.secret;

describe('the join-token file', () => {
  it('holds a usable bootstrap token (mode 0600) that expires after the TTL', async () => {
    const token = await ensure(T0);
    expect(readFileSync(join(dir, 'join-token'), 'utf8').trim()).toBe(token);
    expect(statSync(join(dir, 'join-token')).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^K10a{64}::[a-z0-9]{6}\.[a-z0-9]{32}$/);
    expect(await checkBootstrapToken(store.db, secretOf(token), T0 + 23 * HOUR)).toMatchObject({ ok: true });
    expect(await checkBootstrapToken(store.db, secretOf(token), T0 + 24 * HOUR)).toMatchObject({ ok: false, refusal: 'expired' });
  });

  it('is kept by the next start while usable, and replaced once expired or revoked', async () => {
    const first = await ensure(T0);
    expect(await ensure(T0 + HOUR)).toBe(first);
    const afterExpiry = await ensure(T0 + 25 * HOUR);
    expect(afterExpiry).not.toBe(first);
    await revokeBootstrapToken(store.db, secretOf(afterExpiry).split('.')[0], T0 + 25 * HOUR);
    const afterRevoke = await ensure(T0 + 26 * HOUR);
    expect(afterRevoke).not.toBe(afterExpiry);
    expect(await checkBootstrapToken(store.db, secretOf(afterRevoke), T0 + 26 * HOUR)).toMatchObject({ ok: true });
  });

  it('registers BERTH_JOIN_TOKEN when given, and refuses one that is not <id>.<secret>', async () => {
    const given = 'abc123.0123456789abcdefghijklmnopqrstuv';
    expect(secretOf(await ensure(T0, given))).toBe(given);
    expect(await checkBootstrapToken(store.db, given, T0)).toMatchObject({ ok: true, id: 'abc123' });
    await expect(ensure(T0, 'a-bare-secret-of-old')).rejects.toThrow(/BERTH_JOIN_TOKEN: must be <id>\.<secret>/);
  });

  it('records when its token was last used, to the minute, without a write per joining node', async () => {
    const secret = secretOf(await ensure(T0));
    const id = secret.split('.')[0];
    const lastUsed = async () => (await store.db.bootstrapToken.findUniqueOrThrow({ where: { id } })).lastUsedAt?.getTime();
    expect(await lastUsed()).toBeUndefined();
    expect((await checkBootstrapToken(store.db, secret, T0 + 1_000)).ok).toBe(true);
    expect(await lastUsed()).toBe(T0 + 1_000);
    expect((await checkBootstrapToken(store.db, secret, T0 + 30_000)).ok).toBe(true);
    expect(await lastUsed()).toBe(T0 + 1_000);
    expect((await checkBootstrapToken(store.db, secret, T0 + 61_000)).ok).toBe(true);
    expect(await lastUsed()).toBe(T0 + 61_000);
  });

  it("writes a token's use once when a fleet joins with it at the same moment", async () => {
    const secret = secretOf(await ensure(T0));
    const uses = new TokenUses();
    let writes = 0;
    const counted = new Proxy(store.db, {
      get: (db, key) =>
        key === 'bootstrapToken'
          ? {
              ...db.bootstrapToken,
              findUnique: db.bootstrapToken.findUnique.bind(db.bootstrapToken),
              update: (a: never) => (writes++, db.bootstrapToken.update(a)),
            }
          : Reflect.get(db, key),
    });
    const checks = await Promise.all(Array.from({ length: 20 }, () => checkBootstrapToken(counted, secret, T0 + 1_000, uses)));
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(writes).toBe(1);
    await checkBootstrapToken(counted, secret, T0 + 61_000, uses);
    expect(writes).toBe(2);
  });
});
