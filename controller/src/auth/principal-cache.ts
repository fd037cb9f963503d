// Who a bearer token belongs to, remembered for a few seconds. Every API request authenticates,
// and that lookup was one store statement in three of an apply (bench:scale, PostgreSQL).
// A cached answer never outlives a revocation: see lib/notice-cache.ts, fed by the notices of
// the auth_change_notices migration (any change to tokens or users).
import type { User } from '../store/generated/postgresql/client.ts';
import { NoticeCache } from '../lib/notice-cache.ts';

/** The channel the auth_change_notices migration's trigger notifies. */
export const AUTH_CHANGE_CHANNEL = 'berth_auth';

export const PRINCIPAL_CACHE_TTL_MS = 10_000;
/** Only successful lookups are kept, so unknown tokens cannot fill it; the oldest goes first. */
export const PRINCIPAL_CACHE_MAX_ENTRIES = 10_000;

export class PrincipalCache extends NoticeCache<User> {
  constructor(ttlMs = PRINCIPAL_CACHE_TTL_MS, maxEntries = PRINCIPAL_CACHE_MAX_ENTRIES) {
    super(ttlMs, maxEntries);
  }
}
