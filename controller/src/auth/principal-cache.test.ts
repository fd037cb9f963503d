import { describe, expect, it } from 'vitest';
import type { User } from '../store/generated/postgresql/client.ts';
import { PrincipalCache } from './principal-cache.ts';

const user = (id: string) => ({ id, username: id, role: 'customer' }) as User;
const NOW = 1_000_000;

function liveCache(ttlMs = 10_000, max = 3): PrincipalCache {
  const cache = new PrincipalCache(ttlMs, max);
  cache.setLive(true);
  return cache;
}

describe('PrincipalCache', () => {
  it('answers nothing while the store does not report changes', () => {
    const cache = new PrincipalCache();
    cache.put('h', user('a'), undefined, NOW, cache.ticket());
    expect(cache.get('h', NOW)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers a token it looked up, until the TTL or the token expiry, whichever is first', () => {
    const cache = liveCache(10_000);
    cache.put('long', user('a'), undefined, NOW, cache.ticket());
    cache.put('short', user('b'), NOW + 2_000, NOW, cache.ticket());
    expect(cache.get('long', NOW + 9_999)?.id).toBe('a');
    expect(cache.get('long', NOW + 10_000)).toBeUndefined();
    expect(cache.get('short', NOW + 1_999)?.id).toBe('b');
    expect(cache.get('short', NOW + 2_000)).toBeUndefined();
  });

  it('forgets everything on a change notice and when notices stop', () => {
    const cache = liveCache();
    cache.put('h', user('a'), undefined, NOW, cache.ticket());
    cache.forgetAll();
    expect(cache.get('h', NOW)).toBeUndefined();
    cache.put('h', user('a'), undefined, NOW, cache.ticket());
    cache.setLive(false);
    cache.setLive(true);
    expect(cache.get('h', NOW)).toBeUndefined();
  });

  it('does not keep an answer read across a change (the lookup may predate the revocation)', () => {
    const cache = liveCache();
    const ticket = cache.ticket();
    cache.forgetAll(); // a notice arrives while the store is being read
    cache.put('h', user('a'), undefined, NOW, ticket);
    expect(cache.get('h', NOW)).toBeUndefined();
  });

  it('holds at most its bound of tokens, dropping the oldest', () => {
    const cache = liveCache(10_000, 2);
    for (const h of ['a', 'b', 'c']) cache.put(h, user(h), undefined, NOW, cache.ticket());
    expect(cache.size).toBe(2);
    expect(cache.get('a', NOW)).toBeUndefined();
    expect(cache.get('c', NOW)?.id).toBe('c');
  });

  it('does not keep a token that has already expired', () => {
    const cache = liveCache();
    cache.put('h', user('a'), NOW, NOW, cache.ticket());
    expect(cache.size).toBe(0);
  });
});
