import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, verifySignature } from './signature.ts';

const body = '{"id":"d1","type":"reservation.started"}';
const secret = 'whsec_test';
const now = Date.parse('2030-01-01T00:00:00Z');

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 of the secret, as a receiver computes it with plain node:crypto', () => {
    const header = signatureHeader(secret, body, now);
    const t = now / 1000;
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
  });

  it('verifies a fresh header and refuses a changed body, another secret, a stale or a future timestamp, and garbage', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(header, body, secret, now + 1000)).toEqual({ ok: true, t: now / 1000 });
    expect(verifySignature(header, `${body} `, secret, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, body, 'whsec_other', now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, body, secret, now + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, body, secret, now - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature('v1=abc', body, secret, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(`t=${now / 1000},v1=zz`, body, secret, now)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a replay whose timestamp was changed: the timestamp is signed', () => {
    const header = signatureHeader(secret, body, now);
    const replayed = header.replace(/^t=\d+/, `t=${now / 1000 + 3600}`);
    expect(verifySignature(replayed, body, secret, now + 3600_000)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('makes distinct secrets', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
