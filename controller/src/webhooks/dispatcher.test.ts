// The notifier and dispatcher on a real SQLite store with real HTTP receivers on loopback: a
// retried delivery keeps its id and body, a new dispatcher on the same store (a restart) sends
// what was pending, and a receiver that never answers does not hold up another webhook.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { systemClock } from '../lib/clock.ts';
import { waitUntil } from './wait-until.testkit.ts';
import { addressJudge } from './address-guard.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { WebhookNotifier } from './notifier.ts';

const log = pino({ level: 'silent' });
let dir: string;
let store: Store;
const servers: Server[] = [];
const dispatchers: WebhookDispatcher[] = [];

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

async function receiver(answer: (n: number) => number | 'hang'): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const a = answer(hits.length);
      if (a !== 'hang') res.writeHead(a).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

function dispatcher(timeoutMs = 2_000): WebhookDispatcher {
  const d = new WebhookDispatcher({
    db: store.db,
    log,
    clock: systemClock,
    policy: { baseMs: 200, capMs: 1_000, maxAttempts: 4, jitter: 0 },
    timeoutMs,
    maxResponseBytes: 1024,
    judge: async () => addressJudge({ allow: ['127.0.0.1/32'], nodes: [], own: [] }),
  });
  dispatchers.push(d);
  return d;
}

async function fixture(urls: string[]) {
  const user = await store.db.user.create({ data: { username: 'ann' } });
  const now = Date.now();
  const r = await store.db.reservation.create({
    data: {
      name: 'demo',
      ownerId: user.id,
      spec: {},
      imageName: 'web',
      milliCores: 500,
      memoryMiB: 64,
      startAt: new Date(now),
      endAt: new Date(now + 3_600_000),
      phase: 'Running',
    },
  });
  const hooks = [];
  for (const [i, url] of urls.entries()) {
    hooks.push(await store.db.webhook.create({ data: { id: `wh_test${i}`, userId: user.id, url, secret: `whsec_${i}`, events: ['started', 'ended'] } }));
  }
  return { reservation: r, hooks };
}

const signed = (secret: string, h: Hit) => {
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(h.headers['berth-signature'])) ?? [];
  return v1 === createHmac('sha256', secret).update(`${t}.${h.body}`).digest('hex');
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-webhooks-'));
  store = await openTestStore(dir);
});
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.stop(1000);
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('webhook delivery', () => {
  it('retries a failed delivery with the same id and body and a fresh signature, and logs each attempt', async () => {
    const rx = await receiver((n) => (n === 1 ? 500 : 200));
    const { reservation } = await fixture([rx.url]);
    const d = dispatcher();
    const notifier = new WebhookNotifier({ db: store.db, log, clock: systemClock, publicAddress: '203.0.113.7', wake: (id) => d.wake(id) });
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Started', type: 'Normal' });
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Started', type: 'Normal' }); // a repeat is not sent twice
    await notifier.idle();
    await waitUntil(() => rx.hits.length === 2, 5_000, 'the retry');
    const [first, retry] = rx.hits;
    expect(retry.headers['berth-delivery']).toBe(first.headers['berth-delivery']);
    expect(retry.body).toBe(first.body);
    expect(retry.at - first.at).toBeGreaterThanOrEqual(190);
    expect([signed('whsec_0', first), signed('whsec_0', retry), signed('whsec_1', first)]).toEqual([true, true, false]);
    await waitUntil(async () => (await store.db.webhookDelivery.findFirst())?.state === 'delivered', 2_000, 'delivered');
    const attempts = await store.db.webhookAttempt.findMany({ orderBy: { attempt: 'asc' } });
    expect(attempts.map((a) => [a.event, a.attempt, a.statusCode, a.host])).toEqual([
      ['started', 1, 500, new URL(rx.url).host],
      ['started', 2, 200, new URL(rx.url).host],
    ]);
    expect(await store.db.webhookDelivery.count()).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    const rx = await receiver(() => 503);
    const { reservation } = await fixture([rx.url]);
    const d = dispatcher();
    const notifier = new WebhookNotifier({ db: store.db, log, clock: systemClock, publicAddress: '203.0.113.7', wake: (id) => d.wake(id) });
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Expired', type: 'Normal' });
    await waitUntil(async () => (await store.db.webhookDelivery.findFirst())?.state === 'failed', 8_000, 'given up');
    expect(rx.hits).toHaveLength(4);
  });

  it('delivers after a restart what an earlier dispatcher left pending', async () => {
    let up = false;
    const rx = await receiver(() => (up ? 200 : 503));
    const { reservation } = await fixture([rx.url]);
    const before = dispatcher();
    const notifier = new WebhookNotifier({ db: store.db, log, clock: systemClock, publicAddress: '203.0.113.7', wake: (id) => before.wake(id) });
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Started', type: 'Normal' });
    await waitUntil(() => rx.hits.length >= 1, 5_000, 'the first attempt');
    await before.stop(1000);
    up = true;
    const after = dispatcher();
    await after.start();
    await waitUntil(async () => (await store.db.webhookDelivery.findFirst())?.state === 'delivered', 5_000, 'delivered after the restart');
    expect(new Set(rx.hits.map((h) => h.headers['berth-delivery'])).size).toBe(1);
  });

  it('keeps a receiver that never answers from delaying another webhook, and times it out', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await receiver(() => 204);
    const { reservation } = await fixture([slow.url, fast.url]);
    const d = dispatcher(1_500);
    const notifier = new WebhookNotifier({ db: store.db, log, clock: systemClock, publicAddress: '203.0.113.7', wake: (id) => d.wake(id) });
    const t0 = Date.now();
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Started', type: 'Normal' });
    await waitUntil(() => fast.hits.length === 1, 1_000, 'the fast receiver');
    expect(fast.hits[0].at - t0).toBeLessThan(1_000);
    await waitUntil(async () => (await store.db.webhookAttempt.count({ where: { webhookId: 'wh_test0' } })) === 1, 4_000, 'the slow attempt logged');
    const timedOut = await store.db.webhookAttempt.findFirstOrThrow({ where: { webhookId: 'wh_test0' } });
    expect([timedOut.statusCode, timedOut.error]).toEqual([null, 'no answer within 1500 ms']);
  });

  it('refuses at delivery time an address the policy forbids, without connecting', async () => {
    const rx = await receiver(() => 200);
    const { reservation } = await fixture([rx.url]);
    const d = new WebhookDispatcher({
      db: store.db,
      log,
      clock: systemClock,
      policy: { baseMs: 10_000, capMs: 10_000, maxAttempts: 2, jitter: 0 },
      timeoutMs: 1000,
      maxResponseBytes: 1024,
      judge: async () => addressJudge({ allow: [], nodes: [], own: [] }), // loopback not allowed (any more)
    });
    dispatchers.push(d);
    const notifier = new WebhookNotifier({ db: store.db, log, clock: systemClock, publicAddress: '203.0.113.7', wake: (id) => d.wake(id) });
    notifier.onEvent({ kind: 'Reservation', objectId: reservation.id, reason: 'Started', type: 'Normal' });
    await waitUntil(async () => (await store.db.webhookAttempt.count()) === 1, 3_000, 'the refused attempt');
    expect((await store.db.webhookAttempt.findFirstOrThrow()).error).toBe('refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address');
    expect(rx.hits).toHaveLength(0);
  });
});
