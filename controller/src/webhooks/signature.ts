// Webhook signatures, Stripe's scheme: `Berth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" with the webhook's secret>`. The timestamp is inside the signed material, so a
// receiver that refuses old timestamps cannot be replayed an old delivery.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'berth-signature';
/** How old a timestamp a receiver should accept (Stripe's default tolerance). */
export const DEFAULT_TOLERANCE_S = 300;

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export function signatureOf(secret: string, body: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${signatureOf(secret, body, t)}`;
}

export type Verdict = { ok: true; t: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'stale' };

/** What a receiver does: the header's HMAC matches and its timestamp is recent. */
export function verifySignature(header: string, body: string, secret: string, nowMs: number, toleranceS = DEFAULT_TOLERANCE_S): Verdict {
  const fields = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim(), [...(fields.get(part.slice(0, i).trim()) ?? []), part.slice(i + 1).trim()]);
  }
  const t = Number(fields.get('t')?.[0]);
  const candidates = fields.get('v1') ?? [];
  if (!Number.isInteger(t) || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signatureOf(secret, body, t), 'hex');
  const match = candidates.some((c) => /^[0-9a-f]{64}$/.test(c) && timingSafeEqual(Buffer.from(c, 'hex'), expected));
  if (!match) return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return { ok: false, reason: 'stale' };
  return { ok: true, t };
}
