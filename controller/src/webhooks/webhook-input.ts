// Validation of what a user sends to create a webhook. Pure.
import { BerthError } from '../errors/index.ts';
import { LIFECYCLE_EVENTS, type LifecycleEvent } from './lifecycle.ts';

export const MAX_URL_LENGTH = 2048;
export const DEFAULT_ENDING_BEFORE_MS = 15 * 60_000;
export const MIN_ENDING_BEFORE_MS = 1_000;
export const MAX_ENDING_BEFORE_MS = 24 * 3_600_000;

export function parseWebhookUrl(value: unknown): URL {
  if (typeof value !== 'string' || value.length === 0) throw new BerthError('Invalid', 'url: required, e.g. https://hooks.example.com/berth', 'url');
  if (value.length > MAX_URL_LENGTH) throw new BerthError('Invalid', `url: at most ${MAX_URL_LENGTH} characters, got ${value.length}`, 'url');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BerthError('Invalid', `url: not a URL: ${JSON.stringify(value.slice(0, 100))}`, 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BerthError('Invalid', `url: must be http or https, got ${url.protocol.replace(/:$/, '')}`, 'url');
  if (url.username || url.password)
    throw new BerthError('Invalid', 'url: must not carry a user name or password (the signature authenticates deliveries)', 'url');
  if (url.hash) throw new BerthError('Invalid', 'url: must not have a #fragment', 'url');
  return url;
}

export function parseEvents(value: unknown): LifecycleEvent[] {
  if (value === undefined || value === null) return [...LIFECYCLE_EVENTS];
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) throw new BerthError('Invalid', `events: a non-empty list of ${LIFECYCLE_EVENTS.join(', ')}`, 'events');
  for (const e of list) {
    if (!(LIFECYCLE_EVENTS as readonly unknown[]).includes(e)) {
      throw new BerthError('Invalid', `events: unknown event ${JSON.stringify(e)}; known: ${LIFECYCLE_EVENTS.join(', ')}`, 'events');
    }
  }
  return [...new Set(list as LifecycleEvent[])];
}

export function parseEndingBefore(value: unknown, parseDurationMs: (s: string) => number | undefined): number {
  if (value === undefined || value === null) return DEFAULT_ENDING_BEFORE_MS;
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined || ms < MIN_ENDING_BEFORE_MS || ms > MAX_ENDING_BEFORE_MS) {
    throw new BerthError('Invalid', 'endingBefore: a duration from 1s to 24h, e.g. 15m', 'endingBefore');
  }
  return ms;
}
