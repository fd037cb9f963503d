// Calendar feed and lifecycle webhooks through real processes (controller, agent, Docker): a
// receiver in the test checks every signature with plain node:crypto, refuses the first delivery
// and sees it retried, gets started/ending/ended for a short reservation, and gets a delivery
// that was pending when the controller restarted. The feed is fetched over HTTPS and read by a
// real iCalendar parser; a revoked URL answers 404.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { startSingleHost, type SingleHost } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** An HTTP receiver on loopback that answers `answer(n)` to its n-th request (1-based). */
class Receiver {
  readonly got: Received[] = [];
  private server!: Server;
  constructor(public answer: (n: number) => number) {}
  async listen(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.answer(this.got.length + 1);
        this.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
        res.writeHead(answered).end('ok');
      });
    });
    await new Promise<void>((r) => this.server.listen(port, RECEIVER_HOST, r));
    return (this.server.address() as AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  events(): string[] {
    return this.got.map((g) => JSON.parse(g.body).type);
  }
}

/** The receiver's side of the scheme in the README, written independently of the controller's code. */
function verify(secret: string, r: Received): boolean {
  const header = String(r.headers['berth-signature'] ?? '');
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!t || !v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${r.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex')) && Math.abs(Date.now() / 1000 - Number(t)) < 300;
}

// Not 127.0.0.1: that is the single-host node's address, which no setting opens to webhooks.
const RECEIVER_HOST = '127.0.0.2';
let host: SingleHost;
let ann: ApiClient;
let annToken: string;
const receivers: Receiver[] = [];

async function customer(username: string): Promise<[ApiClient, string]> {
  const res = await new ApiClient(host.controller.url, '', host.controller.ca).request('POST', '/api/v1/auth/signup', {
    username,
    email: `${username}@example.com`,
    password: `Pw-${Buffer.from(username).toString('hex')}`,
  });
  expect(res.status).toBe(201);
  return [new ApiClient(host.controller.url, res.body.token, host.controller.ca), res.body.token];
}
const cli = (args: string[]) => runCli(args, { env: host.controller.cliEnv(annToken) });

beforeAll(async () => {
  // Loopback is refused by default; the operator's setting lets the test's receivers in.
  host = await startSingleHost('ntf', { nat: 'userspace', env: { BERTH_WEBHOOK_ALLOW_NETWORKS: '127.0.0.2/32', BERTH_WEBHOOK_RETRY_BASE: '1s' } });
  expect((await host.controller.api.apply(webImage())).status).toBe(201);
  [ann, annToken] = await customer('ann');
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await host?.stop();
});

describe('lifecycle webhooks', () => {
  it('signs every delivery, retries one that failed with the same body, and reports started, ending and ended of a short reservation', async () => {
    const receiver = new Receiver((n) => (n === 1 ? 500 : 200));
    receivers.push(receiver);
    const port = await receiver.listen();
    const added = await cli(['webhook', 'add', `http://${RECEIVER_HOST}:${port}/hook`, '--events', 'started,ending,ended', '--ending-before', '12s']);
    expect(added.code).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    expect((await cli(['webhook', 'list'])).stdout).toContain(`http://${RECEIVER_HOST}:${port}/hook`);

    expect((await ann.apply(reservation('short', { duration: '25s' }))).status).toBe(201);
    await waitFor(() => receiver.events().includes('reservation.ended'), { timeoutMs: 60_000, what: 'the ended delivery' });

    expect(receiver.got.every((r) => verify(secret, r))).toBe(true);
    expect(verify('whsec_wrong', receiver.got[0])).toBe(false);
    // The first attempt (started) got 500 and was retried: same delivery id and body, new timestamp.
    const [first, retry] = receiver.got;
    expect([first.answered, retry.answered]).toEqual([500, 200]);
    expect(retry.headers['berth-delivery']).toBe(first.headers['berth-delivery']);
    expect(retry.body).toBe(first.body);
    expect(receiver.events()).toEqual(['reservation.started', 'reservation.started', 'reservation.ending', 'reservation.ended']);
    const started = JSON.parse(first.body);
    expect(started.data.reservation).toMatchObject({ name: 'short', image: 'web', phase: 'Running', endpoints: [expect.stringMatching(/^127\.0\.0\.1:\d+$/)] });
    expect(JSON.parse(receiver.got[2].body).data.endsInSeconds).toBeLessThanOrEqual(12);
    expect(first.body).not.toContain(host.node); // customers never learn node names

    const describe = await cli(['describe', 'reservation', 'short']);
    expect(describe.code).toBe(0);
    const log = describe.stdout.slice(describe.stdout.indexOf('Webhook deliveries:'));
    expect(log).toMatch(new RegExp(`started\\s+127\\.0\\.0\\.2:${port}\\s+1\\s+500`));
    expect(log).toMatch(new RegExp(`started\\s+127\\.0\\.0\\.2:${port}\\s+2\\s+200`));
    expect(log).toMatch(/ended\s+\S+\s+1\s+200/);
  });

  it('delivers what was pending when the controller restarted (the outbox is in the database)', async () => {
    const receiver = new Receiver(() => 503);
    receivers.push(receiver);
    const port = await receiver.listen();
    const made = await ann.request('POST', '/api/v1/webhooks', { url: `http://${RECEIVER_HOST}:${port}/down`, events: ['admitted'] });
    expect(made.status).toBe(201);
    expect((await ann.apply(reservation('later', { start: new Date(Date.now() + 3_600_000).toISOString() }))).status).toBe(201);
    await waitFor(() => receiver.got.length >= 1, { timeoutMs: 20_000, what: 'the first, refused attempt' });

    expect(await host.restartController()).toBe(0);
    receiver.answer = () => 204;
    await waitFor(() => receiver.got.some((g) => g.answered === 204), { timeoutMs: 30_000, what: 'the delivery after the restart' });
    const ok = receiver.got.find((g) => g.answered === 204)!;
    expect(ok.headers['berth-delivery']).toBe(receiver.got[0].headers['berth-delivery']);
    expect(JSON.parse(ok.body)).toMatchObject({ type: 'reservation.admitted', data: { reservation: { name: 'later' } } });
    expect(verify(made.body.secret, ok)).toBe(true);
  });

  it("refuses a webhook to the node's address, the metadata service, or loopback outside the allowed networks", async () => {
    const nodeUrl = await ann.request('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:20000/' });
    expect([nodeUrl.status, nodeUrl.body.error.message]).toEqual([400, 'url: refused: 127.0.0.1 resolves to 127.0.0.1, a compute node of this cluster']);
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::1]:7070/', 'http://127.0.0.3/']) {
      const res = await ann.request('POST', '/api/v1/webhooks', { url });
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
      expect(res.body.error.message).toMatch(/^url: refused: /);
    }
  });
});

describe('calendar feed', () => {
  it("serves the user's reservations to the URL the CLI prints, read by a real parser, and stops at once when revoked", async () => {
    const [bob, bobToken] = await customer('bob');
    expect((await bob.apply(reservation('bobs-private'))).status).toBe(201);
    const made = await cli(['calendar', 'url']);
    expect(made.code).toBe(0);
    const url = made.stdout.trim();
    expect(url).toMatch(new RegExp(`^${host.controller.url}/api/v1/calendar/[a-z0-9]{40}\\.ics$`));
    const res = await host.controller.fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const events = new ICAL.Component(ICAL.parse(await res.text())).getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    expect(events.map((e) => e.summary).sort()).toEqual(['later (web)', 'short (web)']);
    const short = events.find((e) => e.summary === 'short (web)')!;
    expect(short.description).toContain('Status: Expired');
    // A second `calendar url` does not show the URL again.
    const again = await cli(['calendar', 'url']);
    expect(again.stdout).not.toContain('.ics');
    expect(again.stderr).toContain('berth calendar rotate');
    // Bob's token opens Bob's feed only.
    const bobFeed = await runCli(['calendar', 'url'], { env: host.controller.cliEnv(bobToken) });
    const bobText = await (await host.controller.fetch(bobFeed.stdout.trim())).text();
    expect(bobText).toContain('bobs-private');
    expect(bobText).not.toContain('short');

    expect((await cli(['calendar', 'revoke'])).code).toBe(0);
    expect((await host.controller.fetch(url)).status).toBe(404);
  });
});
