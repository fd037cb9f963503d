// The calendar feed and webhook routes in-process (see api/api-harness.testkit.ts): the feed read
// by a real iCalendar parser, revocation and rotation, tenants kept apart, webhook validation and
// the address policy.
import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApiHarness();
  await h.addNode('cn1');
  await call('POST', '/api/v1/apply', h.adminToken, {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: 'web' },
    spec: { ref: 'nginx:1.27', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '128Mi' } },
  });
});
afterEach(async () => {
  await h.close();
});

function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: unknown, headers: Record<string, string> = {}) {
  return h.app.inject({ method, url, payload: payload as object, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
}
const reserve = (token: string, name: string, start = '2030-01-02T10:00:00Z') =>
  call('POST', '/api/v1/apply', token, {
    apiVersion: 'berth/v1',
    kind: 'Reservation',
    metadata: { name },
    spec: { image: 'web', start, duration: '2h', profile: 'ephemeral' },
  });
const summaries = (ics: string) =>
  new ICAL.Component(ICAL.parse(ics))
    .getAllSubcomponents('vevent')
    .map((v) => new ICAL.Event(v).summary)
    .sort();

describe('calendar feed', () => {
  it('serves the owner’s reservations as text/calendar to the secret URL, with an ETag that answers 304 until something changes', async () => {
    const ann = await h.customer('ann');
    expect((await reserve(ann, 'demo')).statusCode).toBe(201);
    expect((await call('GET', '/api/v1/calendar/feed', ann)).json()).toEqual({ exists: false });
    const made = await call('POST', '/api/v1/calendar/feed', ann);
    expect(made.statusCode).toBe(201);
    const { path } = made.json();
    expect(path).toMatch(/^\/api\/v1\/calendar\/[a-z0-9]{40}\.ics$/);
    const feed = await call('GET', path);
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(feed.headers['cache-control']).toBe('private, no-cache');
    expect(summaries(feed.body)).toEqual(['demo (web)']);
    const etag = String(feed.headers.etag);
    expect((await call('GET', path, undefined, undefined, { 'if-none-match': etag })).statusCode).toBe(304);
    expect((await reserve(ann, 'second', '2030-01-03T10:00:00Z')).statusCode).toBe(201);
    const after = await call('GET', path, undefined, undefined, { 'if-none-match': etag });
    expect(after.statusCode).toBe(200);
    expect(summaries(after.body)).toEqual(['demo (web)', 'second (web)']);
    expect((await call('GET', '/api/v1/calendar/feed', ann)).json()).toMatchObject({ exists: true, lastUsedAt: expect.any(String) });
  });

  it('refuses a revoked or rotated URL with 404, and a malformed or unknown one the same way', async () => {
    const ann = await h.customer('ann');
    const first = (await call('POST', '/api/v1/calendar/feed', ann)).json().path;
    const second = (await call('POST', '/api/v1/calendar/feed', ann)).json().path;
    expect(second).not.toBe(first);
    expect((await call('GET', first)).statusCode).toBe(404);
    expect((await call('GET', second)).statusCode).toBe(200);
    expect((await call('DELETE', '/api/v1/calendar/feed', ann)).statusCode).toBe(200);
    expect((await call('GET', second)).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/calendar/feed', ann)).statusCode).toBe(404);
    for (const bad of ['/api/v1/calendar/x.ics', `/api/v1/calendar/${'a'.repeat(40)}.ics`, `/api/v1/calendar/${'a'.repeat(40)}`]) {
      const res = await call('GET', bad);
      expect({ bad, status: res.statusCode, code: res.json().error.code }).toEqual({ bad, status: 404, code: 'NotFound' });
    }
  });

  it("never shows one user's reservations in another user's feed; the feed URL is no API token", async () => {
    const ann = await h.customer('ann');
    const bob = await h.customer('bob');
    await reserve(ann, 'ann-secret-project');
    await reserve(bob, 'bobs');
    const bobFeed = (await call('POST', '/api/v1/calendar/feed', bob)).json().path as string;
    const text = (await call('GET', bobFeed)).body;
    expect(summaries(text)).toEqual(['bobs (web)']);
    expect(text).not.toContain('ann');
    const token = bobFeed.replace(/^.*\/|\.ics$/g, '');
    expect((await call('GET', '/api/v1/reservations', token)).statusCode).toBe(401);
  });

  it('answers 401 to feed management without a token', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) expect((await call(method, '/api/v1/calendar/feed')).statusCode).toBe(401);
  });
});

describe('webhooks', () => {
  it('adds a webhook (secret shown once), lists it without the secret, and removes it; another user sees and removes nothing', async () => {
    const ann = await h.customer('ann');
    const bob = await h.customer('bob');
    const added = await call('POST', '/api/v1/webhooks', ann, { url: 'https://198.51.100.20/hooks', events: ['started', 'ended'], endingBefore: '10m' });
    expect(added.statusCode).toBe(201);
    const hook = added.json();
    expect(hook).toMatchObject({
      id: expect.stringMatching(/^wh_[a-z0-9]{12}$/),
      url: 'https://198.51.100.20/hooks',
      events: ['started', 'ended'],
      endingBefore: '10m',
    });
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = (await call('GET', '/api/v1/webhooks', ann)).json().items;
    expect(listed).toEqual([{ id: hook.id, url: hook.url, events: hook.events, endingBefore: '10m', createdAt: hook.createdAt }]);
    expect((await call('GET', '/api/v1/webhooks', bob)).json().items).toEqual([]);
    expect((await call('DELETE', `/api/v1/webhooks/${hook.id}`, bob)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/webhooks/${hook.id}`, ann)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/webhooks', ann)).json().items).toEqual([]);
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const ann = await h.customer('ann');
    const cases: Array<[unknown, string, RegExp]> = [
      [{}, 'url', /required/],
      [{ url: 'ftp://198.51.100.20/' }, 'url', /http or https/],
      [{ url: 'https://u:p@198.51.100.20/' }, 'url', /user name or password/],
      [{ url: `https://198.51.100.20/${'x'.repeat(2100)}` }, 'url', /at most 2048/],
      [{ url: 'https://198.51.100.20/', events: ['started', 'exploded'] }, 'events', /unknown event "exploded"/],
      [{ url: 'https://198.51.100.20/', endingBefore: '0s' }, 'endingBefore', /1s to 24h/],
      [{ url: 'https://198.51.100.20/', extra: 1 }, 'extra', /unknown field/],
    ];
    for (const [body, field, message] of cases) {
      const res = await call('POST', '/api/v1/webhooks', ann, body);
      expect({ field, status: res.statusCode, got: res.json().error.field }).toEqual({ field, status: 400, got: field });
      expect(res.json().error.message).toMatch(message);
    }
    expect(await h.store.db.webhook.count()).toBe(0);
  });

  it('refuses URLs that would make the controller reach loopback, link-local metadata, private networks or IPv6 loopback', async () => {
    const ann = await h.customer('ann');
    for (const url of [
      'http://127.0.0.1:7070/api/v1/users',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.11:20000/',
      'http://[::1]/',
      'http://localhost/',
    ]) {
      const res = await call('POST', '/api/v1/webhooks', ann, { url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
      expect(res.json().error.message).toMatch(/^url: refused: .* resolves to /);
    }
    expect(await h.store.db.webhook.count()).toBe(0);
  });

  it('limits a user to 10 webhooks', async () => {
    const ann = await h.customer('ann');
    for (let i = 0; i < 10; i++) expect((await call('POST', '/api/v1/webhooks', ann, { url: `https://198.51.100.20/${i}` })).statusCode).toBe(201);
    const eleventh = await call('POST', '/api/v1/webhooks', ann, { url: 'https://198.51.100.20/10' });
    expect([eleventh.statusCode, eleventh.json().error.message]).toEqual([409, 'at most 10 webhooks per user; remove one first']);
  });

  it("shows a reservation's delivery log to its owner only", async () => {
    const ann = await h.customer('ann');
    const bob = await h.customer('bob');
    await reserve(ann, 'demo');
    expect((await call('GET', '/api/v1/reservations/demo/deliveries', ann)).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/reservations/demo/deliveries', bob)).statusCode).toBe(404);
  });
});
