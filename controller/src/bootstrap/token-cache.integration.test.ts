// Join token checks against a real PostgreSQL: a fleet joining with one token reads its row once,
// and a revocation written by another process (another controller, `berth token revoke` there)
// reaches this controller through the store's notice before the next join is judged.
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import { AUTH_CHANGE_CHANNEL } from '../auth/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { PgDatabases } from '../store/pg-databases.testkit.ts';
import { BootstrapTokenCache, checkBootstrapToken, createBootstrapToken, revokeBootstrapToken, TokenUses } from './token-store.ts';

const databases = new PgDatabases('berth_jointok');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await databases.dropAll();
});

async function open(url: string): Promise<Store> {
  const store = await openStore({ url });
  cleanups.push(() => store.close());
  return store;
}

/** A controller's view: a store, and a join-token cache fed by its notices. */
async function controller(url: string) {
  const store = await open(url);
  const cache = new BootstrapTokenCache();
  let live = false;
  const listener = store.listen!(AUTH_CHANGE_CHANNEL, {
    notice: () => cache.forgetAll(),
    live: (l) => {
      live = l;
      cache.setLive(l);
    },
  });
  cleanups.push(() => listener.close());
  await waitFor(() => live, { what: 'the notice listener to be live' });
  return { store, cache };
}

describe('join token cache on PostgreSQL', () => {
  it('a fleet joining with one token reads it once, and a revocation elsewhere refuses the next join', async () => {
    const url = await databases.fresh();
    const { store, cache } = await controller(url);
    const other = await open(url); // another controller, on its own connection
    const now = Date.now();
    const { id, secret } = await createBootstrapToken(store.db, { ttlMs: 3_600_000, now });
    const uses = new TokenUses();

    const before = store.statements();
    const checks = [];
    for (let i = 0; i < 20; i++) checks.push(await checkBootstrapToken(store.db, secret, now + i, uses, cache));
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(store.statements() - before).toBe(2); // the read, and the use recorded once

    await revokeBootstrapToken(other.db, id, Date.now());
    await waitFor(() => cache.size === 0, { timeoutMs: 2_000, what: 'the revocation notice' });
    expect(await checkBootstrapToken(store.db, secret, Date.now(), uses, cache)).toMatchObject({ ok: false, refusal: 'revoked' });
  });

  it('reads the store on every check while no notices arrive', async () => {
    const url = await databases.fresh();
    const store = await open(url);
    const cache = new BootstrapTokenCache(); // never live: no listener
    const now = Date.now();
    const { secret } = await createBootstrapToken(store.db, { ttlMs: 3_600_000, now });
    const uses = new TokenUses();
    await checkBootstrapToken(store.db, secret, now, uses, cache);
    const before = store.statements();
    for (let i = 1; i <= 5; i++) expect((await checkBootstrapToken(store.db, secret, now + i, uses, cache)).ok).toBe(true);
    expect(store.statements() - before).toBe(5);
  });
});
