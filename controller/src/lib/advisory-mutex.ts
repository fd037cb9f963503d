// Admission across several controllers sharing one PostgreSQL: the in-process Mutex orders this
// controller's critical sections, and a PostgreSQL advisory lock (held on one dedicated
// connection) orders them against the other controllers'. Reads and writes inside the section go
// through the ordinary pool and autocommit, so the next holder sees them.
//
// The lock is sticky: while sections of this controller are queued it is kept from one to the
// next (up to maxHoldMs, so another controller is not starved), which turns the lock, unlock and
// "did anyone else write?" round trips of every admission into one per burst. The hooks let the
// holder catch up when it takes the lock and publish its writes before it gives it up.
import pg from 'pg';
import { Mutex } from './mutex.ts';

/** Fixed key of the admission lock (any 64-bit number both controllers agree on). */
export const ADMISSION_LOCK_KEY = 0x6265727468n; // "berth"
const DEFAULT_MAX_HOLD_MS = 100;

export interface LockHooks {
  /** The lock was just taken: what others wrote meanwhile must be read now. */
  acquired(): Promise<void>;
  /** The lock is about to be given up: others must be able to see what was written. */
  releasing(): Promise<void>;
}

const NO_HOOKS: LockHooks = { acquired: async () => undefined, releasing: async () => undefined };

export class AdvisoryMutex extends Mutex {
  private pending = 0;
  private heldSince: number | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly key: bigint,
    private readonly maxHoldMs: number,
  ) {
    super();
  }

  static async connect(url: string, key = ADMISSION_LOCK_KEY, maxHoldMs = DEFAULT_MAX_HOLD_MS): Promise<AdvisoryMutex> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new AdvisoryMutex(client, key, maxHoldMs);
  }

  override run<T>(fn: () => Promise<T>, hooks: LockHooks = NO_HOOKS): Promise<T> {
    this.pending++;
    return super.run(async () => {
      this.pending--;
      try {
        if (this.heldSince === undefined) {
          await this.client.query('SELECT pg_advisory_lock($1)', [this.key.toString()]);
          this.heldSince = Date.now();
          await hooks.acquired();
        }
        return await fn();
      } finally {
        if (this.heldSince !== undefined && (this.pending === 0 || Date.now() - this.heldSince >= this.maxHoldMs)) await this.release(hooks);
      }
    });
  }

  /** Publishes, then unlocks. A failed publish keeps the lock: others must not read a stale sequence. */
  private async release(hooks: LockHooks): Promise<void> {
    await hooks.releasing();
    this.heldSince = undefined;
    await this.client.query('SELECT pg_advisory_unlock($1)', [this.key.toString()]);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
