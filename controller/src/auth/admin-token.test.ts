import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { reuseOrIssueAdminToken, rotateAdminToken, DEFAULT_ADMIN_TOKEN_TTL_MS } from './admin-token.ts';
import { authenticate, bootstrapAdmin, issueToken } from './tokens.ts';

// A real SQLite store per describe: these are the store queries the start and the CLI run.
function withStore(): () => Store {
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-admin-token-'));
    store = await openTestStore(dir);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => store;
}

const DAY = 86_400_000;
const bearer = (t: string) => `Bearer ${t}`;

describe('the bootstrap admin token', () => {
  const store = withStore();

  it('expires after 30 days by default', async () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    const token = await reuseOrIssueAdminToken(store().db, undefined, now);
    expect(DEFAULT_ADMIN_TOKEN_TTL_MS).toBe(30 * DAY);
    expect((await authenticate(store().db, bearer(token), now + 30 * DAY - 1)).role).toBe('admin');
    await expect(authenticate(store().db, bearer(token), now + 30 * DAY)).rejects.toThrow(/invalid or expired token/);
    // A start after it expired issues a new one instead of keeping the dead one.
    const next = await reuseOrIssueAdminToken(store().db, token, now + 31 * DAY);
    expect(next).not.toBe(token);
    expect(await reuseOrIssueAdminToken(store().db, next, now + 32 * DAY)).toBe(next);
  });

  it('rotates: the new token works, every earlier bootstrap token and the given one are revoked', async () => {
    const now = Date.parse('2026-04-01T00:00:00Z');
    const { user, token: a } = await bootstrapAdmin(store().db, { ttlMs: DAY, now });
    const b = (await bootstrapAdmin(store().db, { ttlMs: DAY, now })).token;
    const other = await issueToken(store().db, user.id, 'login', DAY, now); // not a bootstrap token
    const rotated = await rotateAdminToken(store().db, a, now + 1000, 2 * DAY);
    expect(rotated.expiresAt.toISOString()).toBe(new Date(now + 1000 + 2 * DAY).toISOString());
    for (const old of [a, b]) await expect(authenticate(store().db, bearer(old), now + 2000)).rejects.toThrow(/invalid or expired/);
    expect((await authenticate(store().db, bearer(rotated.token), now + 2000)).username).toBe('admin');
    expect((await authenticate(store().db, bearer(other), now + 2000)).username).toBe('admin');
  });
});

describe('a customer who holds the name "admin" (signed up before it was reserved)', () => {
  const store = withStore();

  it('is never promoted by the bootstrap, and gets no admin token', async () => {
    await store().db.user.create({ data: { username: 'admin', role: 'customer', passwordHash: 'x' } });
    await expect(bootstrapAdmin(store().db)).rejects.toMatchObject({
      code: 'Conflict',
      message: expect.stringMatching(/exists as a customer, not an admin: refusing to promote it/),
    });
    await expect(reuseOrIssueAdminToken(store().db, undefined)).rejects.toMatchObject({ code: 'Conflict' });
    expect((await store().db.user.findUnique({ where: { username: 'admin' } }))?.role).toBe('customer');
    expect(await store().db.apiToken.count()).toBe(0);
  });
});
