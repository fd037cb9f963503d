// The token cache against a real PostgreSQL: a revocation written by another process (another
// controller, `berth admin rotate-token`) reaches this controller through the store's notice,
// and a lost notice connection stops the cache from answering until it is back.
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import { openStore, type Store } from '../store/index.ts';
import { PgDatabases, pgAdmin } from '../store/pg-databases.testkit.ts';
import { AUTH_CHANGE_CHANNEL, PrincipalCache } from './principal-cache.ts';
import { authenticate, issueToken } from './tokens.ts';
import { logout } from './accounts.ts';

const databases = new PgDatabases('berth_auth');
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

/** A controller's view: a store, a cache fed by its notices, and whether notices flow. */
async function controller(url: string) {
  const store = await open(url);
  const cache = new PrincipalCache();
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
  return { store, cache, isLive: () => live };
}

/** Statements one authenticate sends. */
async function cost(store: Store, fn: () => Promise<unknown>): Promise<number> {
  const before = store.statements();
  await fn().catch(() => undefined);
  return store.statements() - before;
}

describe('bearer token cache on PostgreSQL', () => {
  it('answers a repeated token from memory, and a revocation by another process within moments', async () => {
    const url = await databases.fresh();
    const { store, cache } = await controller(url);
    const other = await open(url); // another controller or the admin CLI, on its own connection
    const user = await store.db.user.create({ data: { username: 'alice' } });
    const secret = await issueToken(store.db, user.id, 'cli');
    const bearer = `Bearer ${secret}`;

    expect(await cost(store, () => authenticate(store.db, bearer, Date.now(), cache))).toBe(1);
    expect(await cost(store, () => authenticate(store.db, bearer, Date.now(), cache))).toBe(0);
    expect((await authenticate(store.db, bearer, Date.now(), cache)).username).toBe('alice');

    await logout(other.db, bearer, Date.now());
    await waitFor(() => cache.size === 0, { timeoutMs: 2_000, what: 'the revocation notice' });
    await expect(authenticate(store.db, bearer, Date.now(), cache)).rejects.toThrow(/invalid or expired token/);
  });

  it('a quota changed elsewhere is seen on the next request', async () => {
    const url = await databases.fresh();
    const { store, cache } = await controller(url);
    const other = await open(url);
    const user = await store.db.user.create({ data: { username: 'bob' } });
    const bearer = `Bearer ${await issueToken(store.db, user.id, 'cli')}`;
    expect((await authenticate(store.db, bearer, Date.now(), cache)).quota).toEqual({});
    await other.db.user.update({ where: { id: user.id }, data: { quota: { maxCores: 2 } } });
    await waitFor(() => cache.size === 0, { timeoutMs: 2_000, what: 'the user change notice' });
    expect((await authenticate(store.db, bearer, Date.now(), cache)).quota).toEqual({ maxCores: 2 });
  });

  it('stops answering from memory when its notice connection is lost, and resumes once it is back', async () => {
    const url = await databases.fresh();
    const { store, cache, isLive } = await controller(url);
    const user = await store.db.user.create({ data: { username: 'carol' } });
    const bearer = `Bearer ${await issueToken(store.db, user.id, 'cli')}`;
    await authenticate(store.db, bearer, Date.now(), cache);

    const db = new URL(url).pathname.slice(1);
    await pgAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = $2`, [db, `LISTEN ${AUTH_CHANGE_CHANNEL}`]);
    await waitFor(() => !isLive(), { timeoutMs: 2_000, what: 'the listener to notice its connection is gone' });
    expect(await cost(store, () => authenticate(store.db, bearer, Date.now(), cache))).toBe(1);

    await waitFor(() => isLive(), { timeoutMs: 5_000, what: 'the listener to reconnect' });
    await authenticate(store.db, bearer, Date.now(), cache);
    expect(await cost(store, () => authenticate(store.db, bearer, Date.now(), cache))).toBe(0);
  });
});
