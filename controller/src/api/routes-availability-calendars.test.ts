// GET /api/v1/availability/hours (the dashboard's 7-day strip) and /availability/nodes (the
// admins' Gantt view), through the REST routes in-process (see api-harness.testkit.ts): real
// admission, real capacity index, SQLite store.
import { afterEach, describe, expect, it } from 'vitest';
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
  spec: { image: 'web', duration: '1h', profile: 'ephemeral', ...spec },
});

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}
const hours = (token: string, qs: string) => call('GET', `/api/v1/availability/hours?${qs}`, token);
const timelines = (token: string, qs = '') => call('GET', `/api/v1/availability/nodes?${qs}`, token);
const apply = async (token: string, name: string, spec: Record<string, unknown>) => {
  const res = await call('POST', '/api/v1/apply', token, reservation(name, spec));
  expect(res.statusCode, res.body).toBe(201);
};

async function setup(overrides: Parameters<typeof startApiHarness>[0] = {}) {
  h = await startApiHarness(overrides);
  expect((await call('POST', '/api/v1/apply', h.adminToken, IMAGE)).statusCode).toBe(201);
}

type Cell = { start: string; end: string; fits: number; reason?: string };

describe('GET /api/v1/availability/hours', () => {
  it('answers 168 hours from the current one, each with how many more fit; a customer sees no node names', async () => {
    await setup();
    await h.addNode('secret-node-1', { cores: 4, memoryMiB: 8192 });
    h.clock.advance(20 * M);
    const res = await hours(await h.customer('alice'), 'image=web');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      kind: 'AvailabilityHours',
      request: { image: 'web', profile: 'ephemeral', cores: 1, memory: '1024Mi', publicPorts: 1 },
      range: { from: iso(START), until: iso(START + 7 * 24 * H) },
    });
    expect(body.hours).toHaveLength(168);
    // The hour under way counts from now.
    expect(body.hours[0]).toEqual({ start: iso(START + 20 * M), end: iso(START + H), fits: 4 });
    expect(body.hours[167]).toEqual({ start: iso(START + 167 * H), end: iso(START + 168 * H), fits: 4 });
    expect(res.body).not.toContain('secret-node-1');
  });

  it('counts what is left in each hour at its busiest instant and says why a full hour is full', async () => {
    await setup();
    await h.addNode('cn1', { cores: 4, memoryMiB: 8192 });
    await h.addNode('cn2', { cores: 2, memoryMiB: 8192 });
    // cn1 full from 2h to 3h; 3 cores of it (and none of cn2) from 3h30 to 4h30; cn2 full from 2h to 4h.
    await apply(h.adminToken, 'a', { start: iso(START + 2 * H), cores: 4 });
    await apply(h.adminToken, 'b', { start: iso(START + 2 * H), duration: '2h', cores: 2 });
    await apply(h.adminToken, 'c', { start: iso(START + 3.5 * H), cores: 3 });
    const res = await hours(await h.customer('alice'), `image=web&cores=1&until=${iso(START + 6 * H)}`);
    const cells: Cell[] = res.json().hours;
    expect(cells.map((c) => c.fits)).toEqual([6, 6, 0, 1, 3, 6]);
    expect(cells[2]).toEqual({
      start: iso(START + 2 * H),
      end: iso(START + 3 * H),
      fits: 0,
      reason: 'full: no node has 1 core and 1024Mi free for the whole hour',
    });
    // Bigger requests fit fewer times: 2 cores each.
    const big = await hours(await h.customer('bob'), `image=web&cores=2&memory=2Gi&until=${iso(START + 6 * H)}`);
    expect(big.json().hours.map((c: Cell) => c.fits)).toEqual([3, 3, 0, 0, 1, 3]);
  });

  it("stops at the caller's quotas and names the one that binds", async () => {
    await setup();
    await h.addNode('cn1', { cores: 16, memoryMiB: 16384 });
    const alice = await h.customer('alice');
    await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxCores: 3, maxAdvance: '2h' });
    await apply(alice, 'mine', { cores: 2 });
    const res = await hours(alice, `image=web&until=${iso(START + 4 * H)}`);
    const cells: Cell[] = res.json().hours;
    expect(cells.map((c) => c.fits)).toEqual([1, 3, 3, 0]);
    expect(cells[3].reason).toBe('further ahead than your quota allows (maxAdvance 2h)');
    await apply(alice, 'more', { start: iso(START + H), cores: 3 });
    expect((await hours(alice, `image=web&until=${iso(START + 2 * H)}`)).json().hours[1]).toMatchObject({
      fits: 0,
      reason: 'your own reservations already use your maxCores quota (3) in this hour',
    });
    // Another customer is not limited by alice's reservations.
    expect((await hours(await h.customer('bob'), `image=web&until=${iso(START + 2 * H)}`)).json().hours.map((c: Cell) => c.fits)).toEqual([14, 13]);
  });

  it('counts public ports as admission does, taken from 30 s before a window', async () => {
    await setup({ portRanges: { node: { min: 20000, max: 20100 }, nat: { min: 30000, max: 30002 } } });
    await h.addNode('cn1', { cores: 16, memoryMiB: 16384 });
    const alice = await h.customer('alice');
    await apply(alice, 'p1', { duration: '2h' });
    await apply(alice, 'p2', { start: iso(START + 2 * H), duration: '1h' });
    const cells: Cell[] = (await hours(alice, `image=web&until=${iso(START + 4 * H)}`)).json().hours;
    // Of the 3 ports, p1 holds one to 2h and p2 one from 30 s before 2h to 3h: an hour that
    // ends or starts within those 30 s counts both.
    expect(cells.map((c) => c.fits)).toEqual([2, 1, 1, 2]);
    await apply(alice, 'p3', { start: iso(START + 2 * H), duration: '1h' });
    expect((await hours(alice, `image=web&until=${iso(START + 4 * H)}`)).json().hours[2]).toEqual({
      start: iso(START + 2 * H),
      end: iso(START + 3 * H),
      fits: 0,
      reason: 'full: every public port is taken in this hour',
    });
  });

  it('shows hours gone as in the past, never offered', async () => {
    await setup();
    await h.addNode('cn1');
    h.clock.advance(3 * H);
    const cells: Cell[] = (await hours(await h.customer('alice'), `image=web&from=${iso(START)}&until=${iso(START + 4 * H)}`)).json().hours;
    expect(cells.map((c) => [c.fits, c.reason])).toEqual([
      [0, 'in the past'],
      [0, 'in the past'],
      [0, 'in the past'],
      [4, undefined],
    ]);
  });

  it.each([
    ['', 'image'],
    ['image=nope', 'image'],
    ['image=web&cores=abc', 'cores'],
    ['image=web&cores=8', 'cores'],
    ['image=web&memory=lots', 'memory'],
    ['image=web&profile=floppy', 'profile'],
    ['image=web&from=tomorrow', 'from'],
    ['image=web&until=2030-13-01T00:00:00Z', 'until'],
    [`image=web&from=${iso(START + 2 * H)}&until=${iso(START + 2 * H)}`, 'until'],
    [`image=web&until=${iso(START + 15 * 24 * H)}`, 'until'],
    ['image=web&duration=1h', 'duration'],
  ])('refuses ?%s with 400 naming %s', async (qs, field) => {
    await setup();
    await h.addNode('cn1');
    const res = await hours(await h.customer('alice'), qs);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'Invalid', field });
    expect(res.json().error.message).toContain(field);
  });

  it('needs a token', async () => {
    await setup();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/availability/hours?image=web' })).statusCode).toBe(401);
  });
});

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('availability by the hour on random clusters', () => {
  it('counts exactly how many copies of the request admission then takes for that hour, one after another', async () => {
    const random = rng(1307);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const seen = { probes: 0, full: 0, several: 0 };
    for (let round = 0; round < 4; round++) {
      await h?.close();
      await setup({ portRanges: { node: { min: 20000, max: 20999 }, nat: { min: 30000, max: 30007 } } });
      for (let i = 0; i < 3; i++) {
        const id = await h.addNode(`cn${i}`, { cores: pick([1, 2, 4]), memoryMiB: pick([2048, 4096]) });
        if (random() < 0.25) await h.setReady(id, false);
      }
      const customers = [await h.customer('alice'), await h.customer('bob')];
      await call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxCores: 3, maxReservations: 4 });
      const size = () => ({ cores: pick([0.5, 1, 2]), memory: pick(['512Mi', '1Gi', '2Gi']) });
      for (let i = 0; i < 12; i++) {
        const spec = { ...size(), start: iso(START + Math.floor(random() * 24) * 30 * M), duration: `${pick([30, 60, 120])}m` };
        await call('POST', '/api/v1/apply', pick(customers), reservation(`w${i}`, spec));
      }
      for (let probe = 0; probe < 4; probe++) {
        const who = pick(customers);
        const want = size();
        const hour = Math.floor(random() * 12);
        const qs = `image=web&cores=${want.cores}&memory=${want.memory}&from=${iso(START + hour * H)}&until=${iso(START + (hour + 1) * H)}`;
        const cell: Cell = (await hours(who, qs)).json().hours[0];
        const copies: string[] = [];
        for (;;) {
          const res = await call('POST', '/api/v1/apply', who, reservation(`copy${copies.length}`, { ...want, start: cell.start }));
          if (res.statusCode !== 201) {
            expect(['NoResources', 'QuotaExceeded']).toContain(res.json().error.code);
            break;
          }
          copies.push(`copy${copies.length}`);
        }
        expect(copies.length, `round ${round} probe ${probe}: ${JSON.stringify(cell)}`).toBe(cell.fits);
        for (const name of copies) expect((await call('DELETE', `/api/v1/reservations/${name}`, who)).statusCode).toBe(200);
        seen.probes++;
        if (cell.fits === 0) seen.full++;
        if (cell.fits > 1) seen.several++;
      }
    }
    // Full hours and hours with room for several both occur, so the comparison is not vacuous.
    expect(seen.full).toBeGreaterThan(0);
    expect(seen.several).toBeGreaterThan(0);
  });
});

describe('GET /api/v1/availability/nodes', () => {
  it("gives an admin every node's reservations in the range and its free cores and memory as steps", async () => {
    await setup();
    await h.addNode('cn1', { cores: 4, memoryMiB: 8192 });
    const down = await h.addNode('cn2', { cores: 2, memoryMiB: 4096 });
    await h.setReady(down, false);
    const alice = await h.customer('alice');
    await apply(alice, 'early', { start: iso(START + H), duration: '2h', cores: 2, memory: '2Gi' });
    await apply(alice, 'late', { start: iso(START + 2 * H), duration: '3h', cores: 1 });
    await apply(alice, 'beyond', { start: iso(START + 30 * H), cores: 1 });
    await apply(alice, 'gone', { start: iso(START + 2 * H), cores: 1 });
    expect((await call('DELETE', '/api/v1/reservations/gone', alice)).statusCode).toBe(200);
    const res = await timelines(h.adminToken, `from=${iso(START)}&until=${iso(START + 24 * H)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      apiVersion: 'berth/v1',
      kind: 'NodeTimelineList',
      range: { from: iso(START), until: iso(START + 24 * H) },
      items: [
        {
          name: 'cn1',
          cores: 4,
          memory: '8192Mi',
          ready: true,
          cordoned: false,
          reservations: [
            { name: 'early', owner: 'alice', image: 'web', phase: 'Scheduled', start: iso(START + H), end: iso(START + 3 * H), cores: 2, memory: '2048Mi' },
            { name: 'late', owner: 'alice', image: 'web', phase: 'Scheduled', start: iso(START + 2 * H), end: iso(START + 5 * H), cores: 1, memory: '1024Mi' },
          ],
          free: [
            { start: iso(START), end: iso(START + H), cores: 4, memory: '8192Mi' },
            { start: iso(START + H), end: iso(START + 2 * H), cores: 2, memory: '6144Mi' },
            { start: iso(START + 2 * H), end: iso(START + 3 * H), cores: 1, memory: '5120Mi' },
            { start: iso(START + 3 * H), end: iso(START + 5 * H), cores: 3, memory: '7168Mi' },
            { start: iso(START + 5 * H), end: iso(START + 24 * H), cores: 4, memory: '8192Mi' },
          ],
        },
        {
          name: 'cn2',
          cores: 2,
          memory: '4096Mi',
          ready: false,
          cordoned: false,
          reservations: [],
          free: [{ start: iso(START), end: iso(START + 24 * H), cores: 2, memory: '4096Mi' }],
        },
      ],
    });
  });

  it('defaults to the next 7 days and marks cordoned nodes', async () => {
    await setup();
    await h.addNode('cn1');
    await call('POST', '/api/v1/nodes/cn1/cordon', h.adminToken);
    h.clock.advance(5 * M);
    const res = await timelines(h.adminToken);
    expect(res.json().range).toEqual({ from: iso(START + 5 * M), until: iso(START + 5 * M + 7 * 24 * H) });
    expect(res.json().items[0]).toMatchObject({ name: 'cn1', cordoned: true, ready: true });
  });

  it('refuses a customer with 403 and no node in the body', async () => {
    await setup();
    await h.addNode('secret-node-1');
    const res = await timelines(await h.customer('alice'));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'Forbidden', message: 'only admins can see node timelines' });
    expect(res.body).not.toContain('secret-node-1');
  });

  it.each([
    ['from=yesterday', 'from'],
    ['until=soon', 'until'],
    [`from=${iso(START + H)}&until=${iso(START)}`, 'until'],
    [`from=${iso(START)}&until=${iso(START)}`, 'until'],
    [`from=${iso(START)}&until=${iso(START + 31 * 24 * H)}`, 'until'],
    ['node=cn1', 'node'],
  ])('refuses ?%s with 400 naming %s', async (qs, field) => {
    await setup();
    const res = await timelines(h.adminToken, qs);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'Invalid', field });
    expect(res.json().error.message).toContain(field);
  });
});
