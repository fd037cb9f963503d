// Images, reservations and events through the REST routes, in-process (see api/api-harness.testkit.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApiHarness();
});
afterEach(async () => {
  await h.close();
});

const NGINX = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'nginx' },
  spec: { ref: 'nginx:1.27', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '256Mi', maxCores: 2, maxMemory: '1Gi' } },
};
const reservation = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name },
  spec: { image: 'nginx', duration: '2h', profile: 'ephemeral', ...spec },
});

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}

describe('POST /api/v1/apply', () => {
  it('creates an Image (201), answers 200 unchanged for the same manifest and 200 configured for a change', async () => {
    const created = await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ action: 'created', object: { kind: 'Image', metadata: { name: 'nginx' } } });
    const again = await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    expect([again.statusCode, again.json().action]).toEqual([200, 'unchanged']);
    const changed = await call('POST', '/api/v1/apply', h.adminToken, { ...NGINX, spec: { ...NGINX.spec, ref: 'nginx:1.28' } });
    expect([changed.statusCode, changed.json().action]).toEqual([200, 'configured']);
  });

  it('refuses an Image from a customer with 403', async () => {
    const res = await call('POST', '/api/v1/apply', await h.customer('alice'), NGINX);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('Forbidden');
  });

  it('rejects a bad manifest with 400 naming the field, and stores nothing', async () => {
    const res = await call('POST', '/api/v1/apply', h.adminToken, {
      ...NGINX,
      spec: { ...NGINX.spec, resources: { ...NGINX.spec.resources, memory: 'lots' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'Invalid', field: 'spec.resources.memory' });
    expect(res.json().error.message).toContain('spec.resources.memory');
    expect(await h.store.db.image.count()).toBe(0);
  });

  it('answers a manifest with several mistakes with one 400 listing them all, the misspelled field first', async () => {
    await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    const res = await call('POST', '/api/v1/apply', h.adminToken, { ...reservation('x'), spec: { image: 'nginx', duraton: '2h', cores: 0 } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.field).toBe('spec.duraton');
    expect(error.details.problems.map((p: { field: string }) => p.field)).toEqual(['spec.duraton', 'spec.duration', 'spec.cores']);
    expect(error.message).toMatch(/^3 problems: unknown field "spec.duraton" \(did you mean "duration"\?\); spec.duration: is required; spec.cores: /);
    expect(await h.store.db.reservation.count()).toBe(0);
  });

  it('admits a Reservation onto a node (201, Scheduled there) and answers 200 unchanged on a re-apply', async () => {
    await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    await h.addNode('cn1');
    const alice = await h.customer('alice');
    const res = await call('POST', '/api/v1/apply', alice, reservation('web'));
    expect(res.statusCode).toBe(201);
    expect(res.json().object).toMatchObject({ kind: 'Reservation', metadata: { name: 'web' }, status: { phase: 'Scheduled' } });
    const again = await call('POST', '/api/v1/apply', alice, reservation('web'));
    expect([again.statusCode, again.json().action]).toEqual([200, 'unchanged']);
  });

  it('refuses a Reservation no node can hold with 409 NoResources, and stores nothing', async () => {
    await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    await h.addNode('small', { cores: 1, memoryMiB: 128 });
    const res = await call('POST', '/api/v1/apply', await h.customer('alice'), reservation('web'));
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('NoResources');
    expect(await h.store.db.reservation.count()).toBe(0);
  });

  it('rejects a Reservation with an unknown profile with 400 naming spec.profile', async () => {
    await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    const res = await call('POST', '/api/v1/apply', await h.customer('alice'), reservation('web', { profile: 'floppy' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('spec.profile');
  });
});

describe('reading and deleting', () => {
  beforeEach(async () => {
    await call('POST', '/api/v1/apply', h.adminToken, NGINX);
    await h.addNode('cn1');
  });

  it('lists and gets images for any user, 404 for a missing one', async () => {
    const alice = await h.customer('alice');
    const list = await call('GET', '/api/v1/images', alice);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ kind: 'ImageList', items: [{ metadata: { name: 'nginx' } }] });
    expect((await call('GET', '/api/v1/images/nginx', alice)).json().spec.ref).toBe('nginx:1.27');
    const missing = await call('GET', '/api/v1/images/nope', alice);
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'NotFound']);
  });

  it('shows a customer only their own reservations; another tenant gets 404 for it', async () => {
    const alice = await h.customer('alice');
    const bob = await h.customer('bob');
    await call('POST', '/api/v1/apply', alice, reservation('web'));
    expect((await call('GET', '/api/v1/reservations', alice)).json().items.map((r: { metadata: { name: string } }) => r.metadata.name)).toEqual(['web']);
    expect((await call('GET', '/api/v1/reservations', bob)).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/reservations/web', alice)).json().spec.image).toBe('nginx');
    expect((await call('GET', '/api/v1/reservations/web', bob)).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/reservations/web', bob)).statusCode).toBe(404);
  });

  it('lists more reservations than one read takes whole and in window order, each once, a tenant seeing only theirs', async () => {
    const tokenA = await h.customer('lister-a');
    const owner = await h.store.db.user.findUniqueOrThrow({ where: { username: 'lister-a' } });
    const admin = await h.store.db.user.findFirstOrThrow({ where: { role: 'admin' } });
    const base = Date.parse('2031-01-01T00:00:00Z');
    // Written straight to the store: 1,203 admissions would test admission, not the list.
    await h.store.db.reservation.createMany({
      data: Array.from({ length: 1_203 }, (_, i) => ({
        name: `r-${String(i).padStart(4, '0')}`,
        activeName: `r-${String(i).padStart(4, '0')}`,
        ownerId: i % 3 === 0 ? admin.id : owner.id,
        spec: { image: 'nginx', duration: '1h', profile: 'ephemeral' },
        imageName: 'nginx',
        milliCores: 1000,
        memoryMiB: 256,
        // Reverse name order in time, so the order the list gives is the windows', not the names'.
        startAt: new Date(base + (1_203 - i) * 60_000),
        endAt: new Date(base + (1_203 - i) * 60_000 + 3_600_000),
        phase: 'Scheduled',
      })),
    });
    const all = (await call('GET', '/api/v1/reservations', h.adminToken)).json().items.map((r: { metadata: { name: string } }) => r.metadata.name);
    const expected = Array.from({ length: 1_203 }, (_, i) => `r-${String(1_202 - i).padStart(4, '0')}`);
    expect(all).toEqual(expected);
    const mine = (await call('GET', '/api/v1/reservations', tokenA)).json().items.map((r: { metadata: { name: string } }) => r.metadata.name);
    expect(mine).toEqual(expected.filter((n) => Number(n.slice(2)) % 3 !== 0));
  });

  it('cuts a list whose store read fails after its first chunk went out, so no client takes it for whole; a failure before answers 500', async () => {
    const owner = await h.store.db.user.findFirstOrThrow({ where: { role: 'admin' } });
    await h.store.db.reservation.createMany({
      data: Array.from({ length: 600 }, (_, i) => ({
        name: `r-${i}`,
        activeName: `r-${i}`,
        ownerId: owner.id,
        spec: { image: 'nginx', duration: '1h', profile: 'ephemeral' },
        imageName: 'nginx',
        milliCores: 1000,
        memoryMiB: 256,
        startAt: new Date(Date.parse('2031-01-01T00:00:00Z') + i * 60_000),
        endAt: new Date(Date.parse('2031-01-01T01:00:00Z') + i * 60_000),
        phase: 'Scheduled',
      })),
    });
    const findMany = h.store.db.reservation.findMany.bind(h.store.db.reservation);
    let reads = 0;
    const failAt = (n: number) =>
      vi.spyOn(h.store.db.reservation, 'findMany').mockImplementation(((args: never) => {
        if (++reads === n) throw new Error('store connection lost');
        return findMany(args);
      }) as never);
    // Reads: the order, then one per chunk of 500. The third read is the second chunk's.
    const spy = failAt(3);
    const cut = await call('GET', '/api/v1/reservations', h.adminToken).then(
      (res) => res.body,
      () => '',
    );
    expect(() => JSON.parse(cut)).toThrow();
    spy.mockRestore();
    reads = 0;
    failAt(1);
    const failed = await call('GET', '/api/v1/reservations', h.adminToken);
    expect(failed.statusCode).toBe(500);
    expect(failed.json().error.message).not.toContain('store connection lost');
  });

  it('deletes a reservation (200, Deleted, its ports freed) and then answers 404 for it', async () => {
    const alice = await h.customer('alice');
    await call('POST', '/api/v1/apply', alice, reservation('web'));
    const del = await call('DELETE', '/api/v1/reservations/web', alice);
    expect(del.statusCode).toBe(200);
    expect(del.json().status.phase).toBe('Deleted');
    expect(await h.store.db.portAllocation.count()).toBe(0);
    expect((await call('GET', '/api/v1/reservations', alice)).json().items).toEqual([]);
  });

  it('deletes an image for admins only (403 for a customer), then 404', async () => {
    expect((await call('DELETE', '/api/v1/images/nginx', await h.customer('alice'))).statusCode).toBe(403);
    expect((await call('DELETE', '/api/v1/images/nginx', h.adminToken)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/images/nginx', h.adminToken)).statusCode).toBe(404);
  });

  it('refuses to delete an image live reservations use with 409, and a missing one with 404', async () => {
    const alice = await h.customer('alice');
    expect((await call('POST', '/api/v1/apply', alice, reservation('web'))).statusCode).toBe(201);
    const used = await call('DELETE', '/api/v1/images/nginx', h.adminToken);
    expect([used.statusCode, used.json().error]).toEqual([409, { code: 'Conflict', message: 'image "nginx" is used by live reservations; delete them first' }]);
    expect(await h.store.db.image.count()).toBe(1);
    const missing = await call('DELETE', '/api/v1/images/nope', h.adminToken);
    expect([missing.statusCode, missing.json().error]).toEqual([404, { code: 'NotFound', message: 'image "nope" not found' }]);
  });

  it('lists events of the caller’s own objects, and rejects a bad limit naming it', async () => {
    const alice = await h.customer('alice');
    await call('POST', '/api/v1/apply', alice, reservation('web'));
    const events = await call('GET', '/api/v1/events?kind=Reservation&name=web', alice);
    expect(events.statusCode).toBe(200);
    expect(events.json().kind).toBe('EventList');
    expect(events.json().items.length).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/events?kind=Reservation&name=web', await h.customer('bob'))).json().items).toEqual([]);
    const bad = await call('GET', '/api/v1/events?limit=0', alice);
    expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'limit']);
  });
});
