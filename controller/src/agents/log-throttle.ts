// At most one log line per key per interval, counting what it held back: a hostile or broken
// node must not be able to fill the controller's log.
export class LogThrottle {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** undefined: stay quiet; otherwise log now, mentioning how many were held back since the last line. */
  take(key: string, now: number): { held: number } | undefined {
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.held++;
      return undefined;
    }
    if (!entry && this.last.size >= this.maxKeys) this.last.clear();
    this.last.set(key, { at: now, held: 0 });
    return { held: entry?.held ?? 0 };
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
