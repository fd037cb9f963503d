// Accounts, users, bills and extension through the REST routes, in-process (see
// api/api-harness.testkit.ts): status codes and bodies, who may call what, and what bad input gets.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../settings/config.ts';
import { START, startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

const H = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

let h: ApiHarness;
afterEach(async () => {
  await h.close();
});

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}

const IMAGE = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'web' },
  spec: { ref: 'web:1', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '64Mi' } },
};
const reservation = (name: string) => ({
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name },
  spec: { image: 'web', duration: '2h', profile: 'ephemeral' },
});

/** alice holds `box` on cn1 (2h from START), started at START: billable. */
async function withRunningBox(overrides: Parameters<typeof startApiHarness>[0] = {}) {
  h = await startApiHarness(overrides);
  await h.addNode('cn1');
  expect((await call('POST', '/api/v1/apply', h.adminToken, IMAGE)).statusCode).toBe(201);
  const alice = await h.customer('alice');
  const bob = await h.customer('bob');
  expect((await call('POST', '/api/v1/apply', alice, reservation('box'))).statusCode).toBe(201);
  await h.store.db.reservation.updateMany({ where: { name: 'box' }, data: { phase: 'Running', startedAt: new Date(START) } });
  return { alice, bob };
}

describe('POST /api/v1/auth/logout', () => {
  it('revokes the token it was called with (200), which then gets 401; without a token it is 401', async () => {
    h = await startApiHarness();
    const alice = await h.customer('alice');
    const other = await h.customer('ann');
    const res = await call('POST', '/api/v1/auth/logout', alice);
    expect([res.statusCode, res.json()]).toEqual([200, { status: 'logged out' }]);
    const after = await call('GET', '/api/v1/auth/whoami', alice);
    expect([after.statusCode, after.json().error]).toEqual([401, { code: 'Unauthenticated', message: 'invalid or expired token' }]);
    expect((await call('GET', '/api/v1/auth/whoami', other)).statusCode).toBe(200);
    expect((await call('POST', '/api/v1/auth/logout')).statusCode).toBe(401);
  });
});

describe('POST /api/v1/auth/login and /signup limits', () => {
  it('answers 429 with Retry-After once a user has used up its failed logins, even for the right password', async () => {
    h = await startApiHarness({
      accounts: {
        ...DEFAULT_CONFIG.accounts,
        loginLimit: { ...DEFAULT_CONFIG.accounts.loginLimit, user: { ...DEFAULT_CONFIG.accounts.loginLimit.user, maxFailures: 2 } },
      },
    });
    const account = { username: 'carol', email: 'carol@example.com', password: 'correct horse battery' };
    expect((await call('POST', '/api/v1/auth/signup', undefined, account)).statusCode).toBe(201);
    for (let i = 0; i < 2; i++)
      expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: 'wrong password!' })).statusCode).toBe(401);
    const locked = await call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: account.password });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('TooManyRequests');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 429 with Retry-After to signups past the per-address limit, and creates no account', async () => {
    h = await startApiHarness({ accounts: { ...DEFAULT_CONFIG.accounts, signupLimit: { ...DEFAULT_CONFIG.accounts.signupLimit, max: 1 } } });
    const account = (n: string) => ({ username: n, email: `${n}@example.com`, password: 'correct horse battery' });
    expect((await call('POST', '/api/v1/auth/signup', undefined, account('carol'))).statusCode).toBe(201);
    const second = await call('POST', '/api/v1/auth/signup', undefined, account('dave'));
    expect(second.statusCode).toBe(429);
    expect(second.json().error).toMatchObject({ code: 'TooManyRequests', message: 'too many signups from this address: try again in 3600 s' });
    expect(second.headers['retry-after']).toBe('3600');
    expect(await h.store.db.user.findUnique({ where: { username: 'dave' } })).toBeNull();
  });
});

describe('GET /api/v1/users and /api/v1/users/NAME', () => {
  it('lists every user with their effective quota for an admin, reads one, and answers 404 for an unknown one', async () => {
    h = await startApiHarness();
    await h.customer('alice');
    const list = await call('GET', '/api/v1/users', h.adminToken);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ apiVersion: 'berth/v1', kind: 'UserList' });
    expect(list.json().items.map((u: { username: string; role: string }) => `${u.username}:${u.role}`)).toEqual(['admin:admin', 'alice:customer']);
    const alice = await call('GET', '/api/v1/users/alice', h.adminToken);
    expect(alice.statusCode).toBe(200);
    expect(alice.json()).toMatchObject({
      username: 'alice',
      role: 'customer',
      quota: { maxCores: 16, maxDuration: '7d', maxAdvance: '30d', maxReservations: 50, maxPublicPorts: 100 },
      quotaOverride: {},
    });
    const missing = await call('GET', '/api/v1/users/nobody', h.adminToken);
    expect([missing.statusCode, missing.json().error]).toEqual([404, { code: 'NotFound', message: 'user "nobody" not found' }]);
  });
});

describe('GET /api/v1/bill and /api/v1/bills', () => {
  it('gives a customer their month, started hours rounded up at 50 cents a core-hour; an admin may name the user', async () => {
    const { alice } = await withRunningBox();
    h.clock.advance(H / 2);
    const own = await call('GET', '/api/v1/bill', alice);
    expect(own.statusCode).toBe(200);
    const statement = {
      user: 'alice',
      month: '2030-01',
      lines: [{ reservation: 'box', image: 'web', cores: 1, rateCentsPerCoreHour: 50, hours: 1, cents: 50 }],
      totalCents: 50,
      currency: 'USD',
    };
    expect(own.json()).toMatchObject(statement);
    expect((await call('GET', '/api/v1/bill?user=alice&month=2030-01', h.adminToken)).json()).toMatchObject(statement);
    const before = await call('GET', '/api/v1/bill?month=2029-12', alice);
    expect(before.json()).toMatchObject({ month: '2029-12', lines: [], totalCents: 0 });
  });

  it("refuses a bad month with 400 naming it, another user's bill to a customer with 403, and an unknown user with 404", async () => {
    const { alice } = await withRunningBox();
    const bad = await call('GET', '/api/v1/bill?month=2030-13', alice);
    expect([bad.statusCode, bad.json().error]).toEqual([400, { code: 'Invalid', message: 'month: must be YYYY-MM, got "2030-13"', field: 'month' }]);
    const other = await call('GET', '/api/v1/bill?user=bob', alice);
    expect([other.statusCode, other.json().error]).toEqual([403, { code: 'Forbidden', message: "only admins can read another user's bill" }]);
    const unknown = await call('GET', '/api/v1/bill?user=nobody', h.adminToken);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NotFound']);
    expect((await call('GET', '/api/v1/bill')).statusCode).toBe(401);
  });

  it('sums every customer with reservations for an admin (403 for a customer, 400 for a bad month)', async () => {
    const { alice } = await withRunningBox();
    h.clock.advance(90 * 60_000);
    const all = await call('GET', '/api/v1/bills?month=2030-01', h.adminToken);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      month: '2030-01',
      customers: [{ user: 'alice', role: 'customer', reservations: 1, hours: 2, totalCents: 100 }],
      totalCents: 100,
      currency: 'USD',
    });
    const forbidden = await call('GET', '/api/v1/bills', alice);
    expect([forbidden.statusCode, forbidden.json().error]).toEqual([403, { code: 'Forbidden', message: "only admins can read all customers' bills" }]);
    expect((await call('GET', '/api/v1/bills?month=January', h.adminToken)).json().error.field).toBe('month');
  });
});

describe('POST /api/v1/reservations/NAME/extend', () => {
  it('moves the end by the given duration on the same node (200) and records it', async () => {
    const { alice } = await withRunningBox();
    const res = await call('POST', '/api/v1/reservations/box/extend', alice, { by: '1h' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'Reservation',
      metadata: { name: 'box' },
      spec: { duration: '3h' },
      status: { node: 'cn1', startTime: iso(START), endTime: iso(START + 3 * H) },
    });
    const events = (await call('GET', '/api/v1/events?kind=Reservation&name=box', alice)).json().items;
    expect(events.map((e: { reason: string; message: string }) => `${e.reason}: ${e.message}`)).toContain(
      `Extended: extended by 1h: now ends ${iso(START + 3 * H)}`,
    );
  });

  it("refuses a bad or too long extension with 400 naming by, another tenant's reservation with 404, and changes nothing", async () => {
    const { alice, bob } = await withRunningBox();
    const bad = await call('POST', '/api/v1/reservations/box/extend', alice, { by: 'soon' });
    expect([bad.statusCode, bad.json().error]).toEqual([400, { code: 'Invalid', message: 'by: must be a positive duration such as 30m or 2h', field: 'by' }]);
    const long = await call('POST', '/api/v1/reservations/box/extend', alice, { by: '300d' });
    expect([long.statusCode, long.json().error.field, long.json().error.message]).toEqual([
      400,
      'by',
      'by: the reservation would last 300d2h, more than the maximum of 30d',
    ]);
    const other = await call('POST', '/api/v1/reservations/box/extend', bob, { by: '1h' });
    expect([other.statusCode, other.json().error]).toEqual([404, { code: 'NotFound', message: 'reservation "box" not found' }]);
    const row = await h.store.db.reservation.findFirstOrThrow({ where: { name: 'box' } });
    expect(row.endAt.getTime()).toBe(START + 2 * H);
  });

  it('answers 409 NoResources when the node has no room for the extra time, and 403 past a quota', async () => {
    const { alice } = await withRunningBox();
    // Others take all 4 cores of cn1 right after box ends.
    for (const name of ['after0', 'after1', 'after2', 'after3']) {
      const after = { ...reservation(name), spec: { ...reservation(name).spec, start: iso(START + 2 * H) } };
      expect((await call('POST', '/api/v1/apply', h.adminToken, after)).statusCode).toBe(201);
    }
    const full = await call('POST', '/api/v1/reservations/box/extend', alice, { by: '1h' });
    expect([full.statusCode, full.json().error.code]).toEqual([409, 'NoResources']);
    expect((await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxDuration: '2h' })).statusCode).toBe(200);
    const quota = await call('POST', '/api/v1/reservations/box/extend', alice, { by: '30m' });
    expect([quota.statusCode, quota.json().error.code]).toEqual([403, 'QuotaExceeded']);
  });
});
