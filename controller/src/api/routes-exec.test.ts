// The exec route over a real loopback connection (an upgrade cannot go through inject()): who may
// exec, what is refused before anything is switched, and the relay once it is.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openExecConnection } from '../cli/exec-connect.ts';
import { runExecSession } from '../cli/exec-session.ts';
import { encodeFrame, FrameType } from '../exec/index.ts';
import { PassThrough } from 'node:stream';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
let server: string;
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

beforeEach(async () => {
  h = await startApiHarness();
  nodeId = await h.addNode('cn1');
  h.hub.observed.set(nodeId, new Map());
  const apply = (token: string, m: object) => h.app.inject({ method: 'POST', url: '/api/v1/apply', payload: m, headers: { authorization: `Bearer ${token}` } });
  expect((await apply(h.adminToken, IMAGE)).statusCode).toBe(201);
  alice = await h.customer('alice');
  bob = await h.customer('bob');
  expect((await apply(alice, reservation('box'))).statusCode).toBe(201);
  expect((await apply(alice, reservation('idle'))).statusCode).toBe(201);
  await h.store.db.reservation.updateMany({ where: { name: 'box' }, data: { phase: 'Running' } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  server = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
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

const open = (token: string, path: string): Promise<Duplex> => openExecConnection({ server, token, ca: undefined }, path);
const execPath = (name: string, q = 'command=echo&command=hi') => `api/v1/reservations/${name}/exec?${q}`;

describe('POST /api/v1/reservations/NAME/exec', () => {
  it("answers another customer's reservation with 404 and sends nothing to the node", async () => {
    await expect(open(bob, execPath('box'))).rejects.toMatchObject({ code: 'NotFound', message: 'reservation "box" not found' });
    await expect(open('nope', execPath('box'))).rejects.toMatchObject({ code: 'Unauthenticated' });
    expect(h.hub.execs).toEqual([]);
  });

  it('refuses what is not Running, bad input and a request without the upgrade, before switching', async () => {
    await expect(open(alice, execPath('idle'))).rejects.toMatchObject({ code: 'Conflict', message: expect.stringMatching(/Scheduled: exec needs it Running/) });
    await expect(open(alice, execPath('box', 'command=sh&timeout=2d'))).rejects.toMatchObject({ code: 'Invalid', field: 'timeout' });
    await expect(open(alice, execPath('box', 'tty=1'))).rejects.toMatchObject({ code: 'Invalid', field: 'command' });
    const plain = await h.app.inject({ method: 'POST', url: `/${execPath('box')}`, headers: { authorization: `Bearer ${alice}` } });
    expect([plain.statusCode, plain.json().error.message]).toEqual([400, 'exec needs an HTTP/1.1 upgrade to berth-exec.v1 (use berth exec)']);
    expect(h.hub.execs).toEqual([]);
  });

  it("opens the exec on the reservation's node and relays its output and exit code", async () => {
    const socket = await open(alice, execPath('box', 'command=sh&command=-c&command=exit 3'));
    const row = await h.store.db.reservation.findFirstOrThrow({ where: { name: 'box' } });
    const [first] = h.hub.execs;
    expect(first).toMatchObject({
      nodeId,
      req: { start: { reservationId: row.id, command: ['sh', '-c', 'exit 3'], tty: false, stdin: false, timeoutMs: 3_600_000 } },
    });
    const stdout = new PassThrough();
    const ended = runExecSession(socket, { stdout, stderr: new PassThrough() });
    const execId = first.req.execId as string;
    const base = { execId, stream: 1, inputAcked: 0, exited: false, exitCode: 0, error: '' };
    h.exec.onOutput(nodeId, { ...base, data: Buffer.from('hi\n') });
    h.exec.onOutput(nodeId, { ...base, data: Buffer.alloc(0), exited: true, exitCode: 3 });
    expect(await ended).toEqual({ exitCode: 3 });
    expect(stdout.read().toString()).toBe('hi\n');
    const events = await h.app.inject({ method: 'GET', url: '/api/v1/events?name=box', headers: { authorization: `Bearer ${alice}` } });
    expect(events.json().items.map((e: { reason: string; message: string }) => `${e.reason}: ${e.message}`)).toEqual(
      expect.arrayContaining(["Exec: exec by alice: sh -c 'exit 3'", 'ExecEnded: exec by alice ended: exit code 3']),
    );
  });

  it('sends the stdin frames of one read to the node as one message, and cancels when the client goes', async () => {
    const socket = await open(alice, execPath('box', 'command=cat&stdin=1'));
    const frames = Array.from({ length: 100 }, (_, i) => encodeFrame(FrameType.Stdin, String(i % 10)));
    socket.write(Buffer.concat(frames));
    const stdin = await waitFor(() => h.hub.execs.find((e) => e.req.stdin));
    expect((stdin.req.stdin as Buffer).toString()).toBe('0123456789'.repeat(10));
    expect(h.hub.execs.filter((e) => e.req.stdin)).toHaveLength(1);
    socket.destroy();
    expect((await waitFor(() => h.hub.execs.find((e) => e.req.cancel))).req).toMatchObject({ cancelReason: 'the client disconnected: exec ended' });
  });

  it('serves a GET that asks for another upgrade as if it had not, and refuses other methods', async () => {
    const ask = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${server}${path}`, { method, headers: { connection: 'Upgrade', upgrade: 'h2c', authorization: `Bearer ${alice}` } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const list = await ask('GET', '/api/v1/reservations');
    expect([list.status, JSON.parse(list.body).items.length]).toEqual([200, 2]);
    expect((await ask('POST', '/api/v1/apply')).status).toBe(400);
  });
});
