// Answers read from the store, remembered for a few seconds, that must never outlive a change.
// The cache only answers while the store tells it about changes (`live`: PostgreSQL NOTIFY from a
// trigger on the tables the answers come from). A notice, or losing the listener, forgets
// everything; a read that was in flight when a notice came is not kept (its answer may predate
// the change). The TTL only bounds what a silently dead listener could leave open.

interface Entry<V> {
  value: V;
  until: number;
}

export class NoticeCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private isLive = false;
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    /** Only what callers choose to keep (found, valid answers) goes in; the oldest goes first. */
    private readonly maxEntries: number,
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

  /** Something the answers depend on changed somewhere. */
  forgetAll(): void {
    this.entries.clear();
    this.generation++;
  }

  /** Taken before the store is read; `put` ignores an answer read across a change. */
  ticket(): number {
    return this.generation;
  }

  get(key: string, now: number): V | undefined {
    if (!this.isLive) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps the answer until the TTL or the answer's own expiry, whichever comes first. */
  put(key: string, value: V, expiresAt: number | undefined, now: number, ticket: number): void {
    if (!this.isLive || ticket !== this.generation) return;
    const until = Math.min(now + this.ttlMs, expiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
