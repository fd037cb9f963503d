// Logs, the admin container view, node metric history and watches through the REST routes
// (see api/api-harness.testkit.ts): logs in-process, fed through the fake hub as an agent would;
// watches over a loopback connection, since an open stream never ends for inject().
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogChunk } from '@berth/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { START, startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
let alice: string;
let bob: string;
let nodeId: string;

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
  spec: { image: 'web', duration: '1h', profile: 'ephemeral' },
});

function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: unknown) {
  return h.call(method, url, token, payload);
}

beforeEach(async () => {
  h = await startApiHarness();
  nodeId = await h.addNode('cn1');
  expect((await call('POST', '/api/v1/apply', h.adminToken, IMAGE)).statusCode).toBe(201);
  alice = await h.customer('alice');
  bob = await h.customer('bob');
  expect((await call('POST', '/api/v1/apply', alice, reservation('box'))).statusCode).toBe(201);
  expect((await call('POST', '/api/v1/apply', alice, reservation('idle'))).statusCode).toBe(201);
  await h.store.db.reservation.updateMany({ where: { name: 'box' }, data: { phase: 'Running', startedAt: new Date(START) } });
});
afterEach(async () => {
  await h.close();
});

async function waitFor<T>(check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 2 s');
}

/** A log chunk as the agent hub passes it on. */
const chunk = (requestId: string, c: Partial<LogChunk>): LogChunk => ({ requestId, data: Buffer.alloc(0), eof: false, error: '', ...c });

describe('GET /api/v1/reservations/NAME/logs', () => {
  it("asks the reservation's node for the lines and relays them as text until the agent's end of file", async () => {
    h.hub.observed.set(nodeId, new Map());
    const pending = call('GET', '/api/v1/reservations/box/logs?tail=20', alice);
    const { req } = await waitFor(() => h.hub.logRequests.find((r) => r.nodeId === nodeId));
    const row = await h.store.db.reservation.findFirstOrThrow({ where: { name: 'box' } });
    expect(req).toMatchObject({ reservationId: row.id, follow: false, tail: 20 });
    h.monitoring.logs.onChunk(nodeId, chunk(req.requestId, { data: Buffer.from('one\ntwo\n') }));
    h.monitoring.logs.onChunk(nodeId, chunk(req.requestId, { eof: true }));
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('one\ntwo\n');
  });

  it('answers 503 naming the cause when the node is not connected or the agent fails before any line', async () => {
    const away = await call('GET', '/api/v1/reservations/box/logs', alice);
    expect([away.statusCode, away.json().error]).toEqual([
      503,
      { code: 'Unavailable', message: 'logs unavailable: node of reservation "box" is not connected' },
    ]);
    h.hub.observed.set(nodeId, new Map());
    const pending = call('GET', '/api/v1/reservations/box/logs', alice);
    const { req } = await waitFor(() => h.hub.logRequests.find((r) => r.nodeId === nodeId));
    h.monitoring.logs.onChunk(nodeId, chunk(req.requestId, { eof: true, error: 'no such container' }));
    const failed = await pending;
    expect([failed.statusCode, failed.json().error.message]).toEqual([503, 'logs unavailable: no such container']);
  });

  it("refuses a bad tail with 400, a reservation without a container with 409 and another tenant's with 404, asking no node", async () => {
    h.hub.observed.set(nodeId, new Map());
    const bad = await call('GET', '/api/v1/reservations/box/logs?tail=-1', alice);
    expect([bad.statusCode, bad.json().error]).toEqual([400, { code: 'Invalid', message: 'tail: must be a non-negative integer', field: 'tail' }]);
    const idle = await call('GET', '/api/v1/reservations/idle/logs', alice);
    expect([idle.statusCode, idle.json().error]).toEqual([409, { code: 'Conflict', message: 'reservation "idle" has no container (phase Scheduled)' }]);
    const other = await call('GET', '/api/v1/reservations/box/logs', bob);
    expect([other.statusCode, other.json().error]).toEqual([404, { code: 'NotFound', message: 'reservation "box" not found' }]);
    expect((await call('GET', '/api/v1/reservations/box/logs')).statusCode).toBe(401);
    expect(h.hub.logRequests).toEqual([]);
  });
});

describe('GET /api/v1/containers', () => {
  it("lists every tenant's reservation containers for an admin", async () => {
    const res = await call('GET', '/api/v1/containers', h.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ apiVersion: 'berth/v1', kind: 'ContainerList' });
    const box = res.json().items.find((c: { reservation: string }) => c.reservation === 'box');
    expect(box).toMatchObject({ reservation: 'box', owner: 'alice', node: 'cn1', phase: 'Running', state: 'unknown' });
  });
});

describe('GET /api/v1/nodes/NAME/metrics', () => {
  it('answers the samples in the range for an admin, 400 naming a bad range and 404 for an unknown node', async () => {
    const sample = { nodeId, resolution: 60, load1: 0.5, cpuPercent: 12.34, memoryTotalMiB: 8192, memoryUsedMiB: 1024 };
    await h.store.db.nodeMetric.create({ data: { ...sample, at: new Date(START - 10 * 60_000) } });
    await h.store.db.nodeMetric.create({ data: { ...sample, at: new Date(START - 3 * 3_600_000) } });
    const res = await call('GET', '/api/v1/nodes/cn1/metrics?range=1h', h.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      node: 'cn1',
      range: '1h',
      samples: [{ at: new Date(START - 10 * 60_000).toISOString(), resolution: 60, cpuPercent: 12.3, load1: 0.5, memoryUsedMiB: 1024, memoryTotalMiB: 8192 }],
    });
    const bad = await call('GET', '/api/v1/nodes/cn1/metrics?range=2y', h.adminToken);
    expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'range']);
    expect(bad.json().error.message).toBe('range: must be one of 15m, 1h, 6h, 24h, 7d, 15d, 90d');
    const ghost = await call('GET', '/api/v1/nodes/ghost/metrics', h.adminToken);
    expect([ghost.statusCode, ghost.json().error]).toEqual([404, { code: 'NotFound', message: 'node "ghost" not found' }]);
  });
});

/** A watch over loopback: its status, headers and the events read so far. */
async function watch(path: string, token?: string) {
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (h.app.server.address() as AddressInfo).port;
  const lines: string[] = [];
  const req = http.get({ host: '127.0.0.1', port, path, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));
  let buffered = '';
  res.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  const body = () => new Promise<string>((resolve) => res.on('end', () => resolve(buffered)));
  return { res, events: () => lines.map((l) => JSON.parse(l)), body, close: () => req.destroy() };
}

describe('GET /api/v1/reservations?watch=1 and /api/v1/nodes?watch=1', () => {
  it("streams the caller's reservations as NDJSON events, then each change the controller signals", async () => {
    const w = await watch('/api/v1/reservations?watch=1', alice);
    expect(w.res.statusCode).toBe(200);
    expect(w.res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    await waitFor(() => (w.events().length === 2 ? true : undefined));
    expect(
      w
        .events()
        .map((e: { type: string; object: { metadata: { name: string } } }) => `${e.type} ${e.object.metadata.name}`)
        .sort(),
    ).toEqual(['ADDED box', 'ADDED idle']);
    expect((await call('DELETE', '/api/v1/reservations/idle', alice)).statusCode).toBe(200);
    h.monitoring.bus.notify('reservations');
    const deleted = await waitFor(() => w.events()[2]);
    expect(deleted).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'idle' } } });
    w.close();
  });

  it("shows a customer the nodes' reduced view, without addresses", async () => {
    const w = await watch('/api/v1/nodes?watch=1', bob);
    const added = await waitFor(() => w.events()[0]);
    expect(added).toMatchObject({ type: 'ADDED', object: { kind: 'Node', metadata: { name: 'cn1' } } });
    expect(JSON.stringify(added)).not.toContain('10.0.0.11');
    w.close();
  });

  it('answers 401 with the error body before streaming anything', async () => {
    const w = await watch('/api/v1/reservations?watch=1');
    expect(w.res.statusCode).toBe(401);
    expect(JSON.parse(await w.body()).error.code).toBe('Unauthenticated');
  });
});
