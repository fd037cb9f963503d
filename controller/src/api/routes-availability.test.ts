// GET /api/v1/availability and the counter-offers of a 409, through the REST routes in-process
// (see api-harness.testkit.ts): real admission, real capacity index, SQLite store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, START, type ApiHarness } from './api-harness.testkit.ts';

const M = 60_000;
const H = 60 * M;
const iso = (t: number) => new Date(t).toISOString();

let h: ApiHarness;
afterEach(async () => {
  await h?.close();
});

const IMAGE = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'web' },
  spec: { ref: 'web:1', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '1Gi', maxCores: 4, maxMemory: '4Gi' } },
};
const reservation = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name },
  spec: { image: 'web', duration: '2h', profile: 'ephemeral', ...spec },
});

function call(method: 'GET' | 'POST' | 'PUT', url: string, token: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}
const avail = (token: string, qs: string) => call('GET', `/api/v1/availability?${qs}`, token);

async function setup(overrides: Parameters<typeof startApiHarness>[0] = {}) {
  h = await startApiHarness(overrides);
  expect((await call('POST', '/api/v1/apply', h.adminToken, IMAGE)).statusCode).toBe(201);
}

describe('GET /api/v1/availability', () => {
  it('offers now on an idle cluster, for the whole range, at the image default size; a customer sees no node names', async () => {
    await setup();
    await h.addNode('secret-node-1');
    const alice = await h.customer('alice');
    const res = await avail(alice, 'image=web&duration=2h');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'Availability',
      request: { image: 'web', duration: '2h', cores: 1, memory: '1024Mi', publicPorts: 1 },
      range: { from: iso(START), until: iso(START + 7 * 24 * H) },
      offers: [{ start: iso(START), end: iso(START + 2 * H), latestStart: iso(START + 7 * 24 * H), cores: 1, memory: '1024Mi' }],
    });
    expect(res.json().offers[0].nodes).toBeUndefined();
    expect(res.body).not.toContain('secret-node-1');
  });

  it('offers the instants capacity frees up, skips cordoned and NotReady nodes, and names nodes to admins only', async () => {
    await setup();
    await h.addNode('cn1', { cores: 2, memoryMiB: 2048 });
    const cordoned = await h.addNode('cn2', { cores: 8, memoryMiB: 8192 });
    const down = await h.addNode('cn3', { cores: 8, memoryMiB: 8192 });
    expect((await call('POST', '/api/v1/nodes/cn2/cordon', h.adminToken)).statusCode).toBe(200);
    await h.setReady(down, false);
    const bob = await h.customer('bob');
    // bob fills cn1 (2 GiB) for the first 3 hours with two reservations ending at 1h and 3h.
    expect((await call('POST', '/api/v1/apply', bob, reservation('a', { duration: '1h', memory: '1Gi' }))).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/apply', bob, reservation('b', { duration: '3h', memory: '1Gi' }))).statusCode).toBe(201);
    expect(cordoned).toBeTruthy();
    const alice = await h.customer('alice');
    const res = await avail(alice, 'image=web&duration=2h&memory=2Gi');
    expect(res.statusCode).toBe(200);
    expect(res.json().offers.map((o: { start: string }) => o.start)).toEqual([iso(START + 3 * H)]);
    const small = await avail(alice, 'image=web&duration=2h&memory=1Gi&limit=3');
    expect(small.json().offers.map((o: { start: string }) => o.start)).toEqual([iso(START + H)]);
    expect(res.body + small.body).not.toMatch(/cn[123]/);
    const admin = await avail(h.adminToken, 'image=web&duration=2h&memory=2Gi');
    expect(admin.json().offers[0]).toMatchObject({ start: iso(START + 3 * H), nodeCount: 1, nodes: ['cn1'] });
    const onNode = await avail(h.adminToken, 'image=web&duration=2h&node=cn1&memory=1Gi');
    expect(onNode.json().offers[0]).toMatchObject({ start: iso(START + H), nodes: ['cn1'] });
    const refused = await avail(alice, 'image=web&duration=2h&node=cn1');
    expect([refused.statusCode, refused.json().error.field]).toEqual([403, 'node']);
  });

  it("honours the caller's quotas: maxCores pushes the offer past what they hold, maxAdvance clips the range", async () => {
    await setup();
    await h.addNode('cn1', { cores: 16, memoryMiB: 16384 });
    const alice = await h.customer('alice');
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxCores: 2, maxAdvance: '1d' });
    expect((await call('POST', '/api/v1/apply', alice, reservation('held', { duration: '5h', cores: 2 }))).statusCode).toBe(201);
    const res = await avail(alice, 'image=web&duration=1h');
    expect(res.json().range.until).toBe(iso(START + 24 * H));
    expect(res.json().offers).toEqual([expect.objectContaining({ start: iso(START + 5 * H), latestStart: iso(START + 24 * H) })]);
    // Another customer is not limited by alice's reservations.
    expect((await avail(await h.customer('bob'), 'image=web&duration=1h')).json().offers[0].start).toBe(iso(START));
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxDuration: '1h' });
    const tooLong = await avail(alice, 'image=web&duration=2h');
    expect([tooLong.statusCode, tooLong.json().error.code]).toEqual([403, 'QuotaExceeded']);
  });

  it("honours the caller's count quotas: maxReservations and maxPublicPorts push the offer past what they hold", async () => {
    await setup();
    await h.addNode('cn1', { cores: 16, memoryMiB: 16384 });
    const alice = await h.customer('alice');
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxReservations: 2 });
    expect((await call('POST', '/api/v1/apply', alice, reservation('r1', { duration: '2h' }))).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/apply', alice, reservation('r2', { duration: '4h' }))).statusCode).toBe(201);
    const res = await avail(alice, 'image=web&duration=1h');
    expect(res.json().offers[0].start).toBe(iso(START + 2 * H));
    expect((await call('POST', '/api/v1/apply', alice, reservation('r3', { duration: '1h', start: res.json().offers[0].start }))).statusCode).toBe(201);
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxReservations: null, maxPublicPorts: 2 });
    // r1 (until 2h) and r3 (2h-3h) hold one port each at a time besides r2 (until 4h).
    const ports = await avail(alice, 'image=web&duration=1h');
    expect(ports.json().offers[0].start).toBe(iso(START + 3 * H));
  });

  it('counts public ports as admission does', async () => {
    await setup({ portRanges: { node: { min: 20000, max: 20100 }, nat: { min: 30000, max: 30001 } } });
    await h.addNode('cn1', { cores: 16, memoryMiB: 16384 });
    const alice = await h.customer('alice');
    expect((await call('POST', '/api/v1/apply', alice, reservation('p1', { duration: '1h' }))).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/apply', alice, reservation('p2', { duration: '2h' }))).statusCode).toBe(201);
    const res = await avail(alice, 'image=web&duration=1h');
    // Both ports are held until 1h; a window's port is taken 30 s before it opens.
    expect(res.json().offers[0].start).toBe(iso(START + H + 30_000));
    expect((await call('POST', '/api/v1/apply', alice, reservation('p3', { duration: '1h', start: res.json().offers[0].start }))).statusCode).toBe(201);
  });
});

// Refusals change nothing, so one harness serves them all.
describe('GET /api/v1/availability refusals', () => {
  let shared: ApiHarness;
  let alice: string;
  beforeAll(async () => {
    shared = await startApiHarness();
    const image = await shared.app.inject({ method: 'POST', url: '/api/v1/apply', payload: IMAGE, headers: { authorization: `Bearer ${shared.adminToken}` } });
    expect(image.statusCode).toBe(201);
    alice = await shared.customer('alice');
  });
  afterAll(async () => {
    await shared.close();
  });
  const query = (qs: string, token?: string) =>
    shared.app.inject({ method: 'GET', url: `/api/v1/availability?${qs}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it.each([
    ['image=web', 'duration'],
    ['image=web&duration=soon', 'duration'],
    ['image=web&duration=0s', 'duration'],
    ['image=web&duration=31d', 'duration'],
    ['duration=2h', 'image'],
    ['image=nope&duration=2h', 'image'],
    ['image=web&duration=2h&cores=abc', 'cores'],
    ['image=web&duration=2h&cores=8', 'cores'],
    ['image=web&duration=2h&memory=lots', 'memory'],
    ['image=web&duration=2h&profile=floppy', 'profile'],
    ['image=web&duration=2h&from=tomorrow', 'from'],
    [`image=web&duration=2h&from=${iso(START + 2 * H)}&until=${iso(START + H)}`, 'until'],
    [`image=web&duration=2h&until=${iso(START + 31 * 24 * H)}`, 'until'],
    ['image=web&duration=2h&limit=0', 'limit'],
    ['image=web&duration=2h&limit=21', 'limit'],
    ['image=web&duration=2h&limit=x', 'limit'],
    ['image=web&duration=2h&limit=1&limit=2', 'limit'],
    ['image=web&duration=2h&colour=red', 'colour'],
  ])('refuses %s with 400 naming %s', async (qs, field) => {
    const res = await query(qs, alice);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'Invalid', field });
    expect(res.json().error.message).toContain(field);
  });

  it('needs a token', async () => {
    expect((await query('image=web&duration=1h')).statusCode).toBe(401);
  });
});

describe('409 NoResources with counter-offers', () => {
  it('carries the earliest start, the longest duration and the largest size, each admitted when applied; no node names for a customer', async () => {
    await setup();
    await h.addNode('hidden-node', { cores: 4, memoryMiB: 4096 });
    const bob = await h.customer('bob');
    // 3 GiB held from 1h to 4h: a 2 GiB, 2 h window fits at 0 only for 1 h, and 1 GiB fits alongside.
    expect((await call('POST', '/api/v1/apply', bob, reservation('busy', { start: iso(START + H), duration: '3h', memory: '3Gi' }))).statusCode).toBe(201);
    const alice = await h.customer('alice');
    const res = await call('POST', '/api/v1/apply', alice, reservation('want', { memory: '2Gi' }));
    expect(res.statusCode).toBe(409);
    expect(res.body).not.toContain('hidden-node');
    expect(res.json().error.details.counterOffers).toEqual({
      earliestStart: { start: iso(START + 4 * H), end: iso(START + 6 * H) },
      longestDuration: { duration: '1h', end: iso(START + H) },
      largestSize: { cores: 1, memory: '1Gi' },
    });
    const offers = res.json().error.details.counterOffers;
    for (const [name, spec] of [
      ['later', { memory: '2Gi', start: offers.earliestStart.start }],
      ['shorter', { memory: '2Gi', duration: offers.longestDuration.duration }],
    ] as const) {
      const ok = await call('POST', '/api/v1/apply', alice, reservation(name, spec));
      expect(ok.statusCode).toBe(201);
      await call('DELETE' as 'GET', `/api/v1/reservations/${name}`, alice);
    }
    const smaller = await call('POST', '/api/v1/apply', alice, reservation('smaller', offers.largestSize));
    expect(smaller.statusCode).toBe(201);
  });

  it('gives an admin the per-node reasons and the same counter-offers', async () => {
    await setup();
    await h.addNode('cn1', { cores: 1, memoryMiB: 4096 });
    expect((await call('POST', '/api/v1/apply', h.adminToken, reservation('busy', { duration: '1h' }))).statusCode).toBe(201);
    const res = await call('POST', '/api/v1/apply', h.adminToken, reservation('want'));
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details.rejections).toEqual([{ node: 'cn1', reason: expect.stringMatching(/^cores:/) }]);
    expect(res.json().error.details.counterOffers.earliestStart).toEqual({ start: iso(START + H), end: iso(START + 3 * H) });
  });
});
