// Serializes async critical sections in this process: admission must never interleave, and
// overlapping level-triggered NAT syncs never interleave either.
import type { LockHooks } from './advisory-mutex.ts';

export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs fn alone, after every section queued before it; hooks (if any) run around every section,
   * as the lock is taken and given up. A failed section does not block the ones queued behind it;
   * its caller still sees the failure.
   */
  run<T>(fn: () => Promise<T>, hooks?: LockHooks): Promise<T> {
    const section = hooks
      ? () =>
          hooks
            .acquired()
            .then(fn)
            .finally(() => hooks.releasing())
      : fn;
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
