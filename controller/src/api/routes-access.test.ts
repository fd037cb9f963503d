// Who may call what: tokens, admin-only routes, quotas, nodes, bootstrap tokens, health and
// metrics, in-process through fastify's inject() (see api/api-harness.testkit.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApiHarness();
});
afterEach(async () => {
  await h.close();
});

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}

describe('authentication and roles', () => {
  it('answers 401 without a token and with an unknown one', async () => {
    for (const token of [undefined, 'berth_not-a-real-token']) {
      const res = await call('GET', '/api/v1/reservations', token);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('Unauthenticated');
    }
  });

  it('signs a customer up (201; 400 naming a missing email) and logs them in with a token that works', async () => {
    const account = { username: 'carol', email: 'carol@example.com', password: 'correct horse battery' };
    const noEmail = await call('POST', '/api/v1/auth/signup', undefined, { ...account, email: undefined });
    expect([noEmail.statusCode, noEmail.json().error.field]).toEqual([400, 'email']);
    const signup = await call('POST', '/api/v1/auth/signup', undefined, account);
    expect(signup.statusCode).toBe(201);
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: 'wrong password!' })).statusCode).toBe(401);
    const login = await call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: 'correct horse battery' });
    expect(login.statusCode).toBe(200);
    const whoami = await call('GET', '/api/v1/auth/whoami', login.json().token);
    expect(whoami.json()).toMatchObject({ username: 'carol', role: 'customer' });
  });

  it('answers 403 to a customer on every admin route', async () => {
    await h.addNode('cn1');
    const alice = await h.customer('alice');
    const adminOnly: Array<[Parameters<typeof call>[0], string, unknown?]> = [
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/users/alice'],
      ['PUT', '/api/v1/users/alice/quota', { maxCores: 8 }],
      ['POST', '/api/v1/nodes/cn1/cordon'],
      ['POST', '/api/v1/nodes/cn1/uncordon'],
      ['POST', '/api/v1/nodes/cn1/drain'],
      ['POST', '/api/v1/nodes/cn1/revoke'],
      ['GET', '/api/v1/nodes/cn1/metrics'],
      ['GET', '/api/v1/containers'],
      ['POST', '/api/v1/bootstrap-tokens', {}],
      ['GET', '/api/v1/bootstrap-tokens'],
      ['DELETE', '/api/v1/bootstrap-tokens/abcdef'],
    ];
    for (const [method, url, body] of adminOnly) {
      const res = await call(method, url, alice, body);
      expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url, status: 403, code: 'Forbidden' });
    }
    expect(h.hub.revoked).toEqual([]);
  });
});

describe('quotas', () => {
  it('lets an admin set a customer quota that the user then reads back', async () => {
    const alice = await h.customer('alice');
    const put = await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxCores: 3, maxDuration: '12h' });
    expect(put.statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/whoami', alice)).json().quota).toMatchObject({ maxCores: 3, maxDuration: '12h' });
  });

  it('rejects a bad quota with 400 naming the field, and 404 for an unknown user', async () => {
    await h.customer('alice');
    const bad = await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxCores: -1 });
    expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'maxCores']);
    expect((await call('PUT', '/api/v1/users/nobody/quota', h.adminToken, { maxCores: 1 })).statusCode).toBe(404);
  });
});

describe('quotas on reservations', () => {
  const image = (ports: number) => ({
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: `svc${ports}` },
    spec: {
      ref: 'nginx:1.27',
      ports: Array.from({ length: ports }, (_, i) => ({ name: `p${i}`, port: 8000 + i })),
      resources: { cores: '10m', memory: '16Mi', maxCores: 1, maxMemory: '1Gi' },
    },
  });
  const reservation = (name: string, img: string) => ({
    apiVersion: 'berth/v1',
    kind: 'Reservation',
    metadata: { name },
    spec: { image: img, duration: '2h', profile: 'ephemeral' },
  });

  it('refuses a reservation past maxReservations with 403 QuotaExceeded naming it, and stores nothing', async () => {
    await h.addNode('cn1', { cores: 64 });
    await call('POST', '/api/v1/apply', h.adminToken, image(1));
    const alice = await h.customer('alice');
    expect((await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxReservations: 2 })).statusCode).toBe(200);
    for (const name of ['a1', 'a2']) expect((await call('POST', '/api/v1/apply', alice, reservation(name, 'svc1'))).statusCode).toBe(201);
    const third = await call('POST', '/api/v1/apply', alice, reservation('a3', 'svc1'));
    expect(third.statusCode).toBe(403);
    expect(third.json().error).toMatchObject({ code: 'QuotaExceeded', message: expect.stringContaining('maxReservations') });
    expect(await h.store.db.reservation.count()).toBe(2);
    // Another customer is not held back by alice's count.
    expect((await call('POST', '/api/v1/apply', await h.customer('bob'), reservation('b1', 'svc1'))).statusCode).toBe(201);
  });

  it('refuses a reservation whose published ports would pass maxPublicPorts', async () => {
    await h.addNode('cn1', { cores: 64 });
    await call('POST', '/api/v1/apply', h.adminToken, image(4));
    const alice = await h.customer('alice');
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxPublicPorts: 6 });
    expect((await call('POST', '/api/v1/apply', alice, reservation('a1', 'svc4'))).statusCode).toBe(201);
    const second = await call('POST', '/api/v1/apply', alice, reservation('a2', 'svc4'));
    expect(second.statusCode).toBe(403);
    expect(second.json().error.message).toBe('quota maxPublicPorts exceeded: at most 6 concurrent published ports, this window would hold 8');
  });

  it('rejects a bad count with 400 naming the field', async () => {
    await h.customer('alice');
    const bad = await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxReservations: 1.5 });
    expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'maxReservations']);
  });
});

describe('nodes', () => {
  it('shows admins the whole node and customers a reduced view without its address', async () => {
    await h.addNode('cn1');
    const admin = (await call('GET', '/api/v1/nodes/cn1', h.adminToken)).json();
    expect(JSON.stringify(admin)).toContain('10.0.0.11');
    const customer = await call('GET', '/api/v1/nodes', await h.customer('alice'));
    expect(customer.statusCode).toBe(200);
    expect(customer.json().items[0]).toMatchObject({
      metadata: { name: 'cn1' },
      spec: { cores: 4 },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(JSON.stringify(customer.json())).not.toContain('10.0.0.11');
  });

  it('cordons and uncordons a node for an admin, 404 for an unknown node', async () => {
    await h.addNode('cn1');
    expect((await call('POST', '/api/v1/nodes/cn1/cordon', h.adminToken)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/nodes/cn1', h.adminToken)).json().spec.unschedulable).toBe(true);
    expect((await call('POST', '/api/v1/nodes/cn1/uncordon', h.adminToken)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/nodes/cn1', h.adminToken)).json().spec.unschedulable).toBe(false);
    expect((await call('POST', '/api/v1/nodes/ghost/cordon', h.adminToken)).statusCode).toBe(404);
  });

  it('answers 404 with the error body for an unknown node', async () => {
    const res = await call('GET', '/api/v1/nodes/ghost', h.adminToken);
    expect([res.statusCode, res.json().error]).toEqual([404, { code: 'NotFound', message: 'node "ghost" not found' }]);
  });

  it('drains a node for an admin: cordoned, its reservations moved where they fit (200 naming each), 404 for an unknown node', async () => {
    await h.addNode('cn1');
    await h.addNode('cn2');
    const image = {
      apiVersion: 'berth/v1',
      kind: 'Image',
      metadata: { name: 'web' },
      spec: { ref: 'web:1', resources: { cores: 1, memory: '64Mi' } },
    };
    expect((await call('POST', '/api/v1/apply', h.adminToken, image)).statusCode).toBe(201);
    const box = { apiVersion: 'berth/v1', kind: 'Reservation', metadata: { name: 'box' }, spec: { image: 'web', duration: '1h', profile: 'ephemeral' } };
    const placed = await call('POST', '/api/v1/apply', await h.customer('alice'), box);
    expect(placed.json().object.status.node).toBe('cn1');
    const res = await call('POST', '/api/v1/nodes/cn1/drain', h.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      node: { kind: 'Node', metadata: { name: 'cn1' }, spec: { unschedulable: true } },
      drain: { rescheduled: [{ reservation: 'box', node: 'cn2' }], failed: [], remaining: [] },
    });
    expect((await h.store.db.reservation.findFirstOrThrow({ where: { name: 'box' }, include: { node: true } })).node?.name).toBe('cn2');
    const ghost = await call('POST', '/api/v1/nodes/ghost/drain', h.adminToken);
    expect([ghost.statusCode, ghost.json().error.code]).toEqual([404, 'NotFound']);
  });

  it('revokes a node identity through the agent hub', async () => {
    await h.addNode('cn1');
    expect((await call('POST', '/api/v1/nodes/cn1/revoke', h.adminToken)).statusCode).toBe(200);
    expect(h.hub.revoked).toEqual(['cn1']);
  });

  it('answers 404 to revoking an unknown node, and revokes nothing', async () => {
    const res = await call('POST', '/api/v1/nodes/ghost/revoke', h.adminToken);
    expect([res.statusCode, res.json().error]).toEqual([404, { code: 'NotFound', message: 'node "ghost" not found' }]);
    expect(h.hub.revoked).toEqual([]);
  });
});

describe('bootstrap tokens', () => {
  it('creates (201, with the secret once), lists (without it) and revokes a token', async () => {
    const created = await call('POST', '/api/v1/bootstrap-tokens', h.adminToken, { ttl: '1h', description: 'rack 2' });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    expect(token).toContain(id);
    const list = (await call('GET', '/api/v1/bootstrap-tokens', h.adminToken)).json();
    expect(list.kind).toBe('BootstrapTokenList');
    expect(list.items.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(list)).not.toContain(token);
    expect((await call('DELETE', `/api/v1/bootstrap-tokens/${id}`, h.adminToken)).statusCode).toBe(200);
  });

  it('rejects a bad ttl with 400 naming ttl, and a malformed id naming id', async () => {
    const bad = await call('POST', '/api/v1/bootstrap-tokens', h.adminToken, { ttl: 'forever' });
    expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'ttl']);
    const badId = await call('DELETE', '/api/v1/bootstrap-tokens/NOT-AN-ID', h.adminToken);
    expect([badId.statusCode, badId.json().error.field]).toEqual([400, 'id']);
  });

  it('answers 404 to revoking a well-formed id that names no token', async () => {
    const res = await call('DELETE', '/api/v1/bootstrap-tokens/abc123', h.adminToken);
    expect([res.statusCode, res.json().error]).toEqual([404, { code: 'NotFound', message: 'bootstrap token "abc123" not found' }]);
  });
});

describe('health and metrics', () => {
  it('answers /healthz and /readyz without a token', async () => {
    expect((await call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await call('GET', '/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 while the controller is starting, /healthz with 200 all along', async () => {
    h.setServing(false);
    const starting = await call('GET', '/readyz');
    expect([starting.statusCode, starting.json()]).toEqual([503, { status: 'starting' }]);
    expect((await call('GET', '/healthz')).statusCode).toBe(200);
  });

  it('serves anonymous /metrics, 401 for an invalid token, and no tenant names to a customer', async () => {
    await h.addNode('cn1');
    const anonymous = await call('GET', '/metrics');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers['content-type']).toContain('text/plain');
    expect((await call('GET', '/metrics', 'berth_not-a-real-token')).statusCode).toBe(401);
    const customer = await call('GET', '/metrics', await h.customer('alice'));
    expect(customer.statusCode).toBe(200);
    expect(customer.body).not.toContain('alice');
  });

  it('answers 404 with the error body for an unknown route', async () => {
    const res = await call('GET', '/api/v1/nowhere', h.adminToken);
    expect([res.statusCode, res.json().error.code]).toEqual([404, 'NotFound']);
  });
});
