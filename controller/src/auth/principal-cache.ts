// Who a bearer token belongs to, remembered for a few seconds. Every API request authenticates,
// and that lookup was one store statement in three of an apply (bench:scale, PostgreSQL).
//
// A cached answer must never outlive a revocation, so the cache only answers while the store
// tells it about changes (`live`: PostgreSQL NOTIFY from a trigger on tokens and users, see the
// auth_change_notices migration). A notice, or losing the listener, forgets everything; a lookup
// that was in flight when a notice came is not kept (its answer may predate the change). The TTL
// only bounds what a silently dead listener could leave open.
import type { User } from '../store/generated/postgresql/client.ts';

/** The channel the auth_change_notices migration's trigger notifies. */
export const AUTH_CHANGE_CHANNEL = 'berth_auth';

export const PRINCIPAL_CACHE_TTL_MS = 10_000;
/** Only successful lookups are kept, so unknown tokens cannot fill it; the oldest goes first. */
export const PRINCIPAL_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  user: User;
  until: number;
}

export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private isLive = false;
  private generation = 0;

  constructor(
    private readonly ttlMs = PRINCIPAL_CACHE_TTL_MS,
    private readonly maxEntries = PRINCIPAL_CACHE_MAX_ENTRIES,
  ) {}

  /** Whether change notices are arriving; without them nothing is cached. */
  setLive(live: boolean): void {
    this.isLive = live;
    this.forgetAll();
  }

  /** Whether it answers at all: without notices, callers ask the store every time. */
  get live(): boolean {
    return this.isLive;
  }

  /** A token or user changed somewhere. */
  forgetAll(): void {
    this.entries.clear();
    this.generation++;
  }

  /** Taken before the store is read; `put` ignores an answer read across a change. */
  ticket(): number {
    return this.generation;
  }

  get(tokenHash: string, now: number): User | undefined {
    if (!this.isLive) return undefined;
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.until > now) return entry.user;
    this.entries.delete(tokenHash);
    return undefined;
  }

  /** Keeps the answer until the TTL or the token's own expiry, whichever comes first. */
  put(tokenHash: string, user: User, expiresAt: number | undefined, now: number, ticket: number): void {
    if (!this.isLive || ticket !== this.generation) return;
    const until = Math.min(now + this.ttlMs, expiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    if (!this.entries.has(tokenHash) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(tokenHash, { user, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
