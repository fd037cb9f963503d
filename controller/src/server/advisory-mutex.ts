// Admission across several controllers sharing one PostgreSQL: the in-process Mutex orders this
// controller's critical sections, and a PostgreSQL advisory lock (held on one dedicated
// connection) orders them against the other controllers'. Reads and writes inside the section go
// through the ordinary pool and autocommit, so the next holder sees them.
import pg from 'pg';
import { Mutex } from './mutex.ts';

/** Fixed key of the admission lock (any 64-bit number both controllers agree on). */
export const ADMISSION_LOCK_KEY = 0x6265727468n; // "berth"

export class AdvisoryMutex extends Mutex {
  private constructor(private readonly client: pg.Client, private readonly key: bigint) {
    super();
  }

  static async connect(url: string, key = ADMISSION_LOCK_KEY): Promise<AdvisoryMutex> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new AdvisoryMutex(client, key);
  }

  override run<T>(fn: () => Promise<T>): Promise<T> {
    return super.run(async () => {
      await this.client.query('SELECT pg_advisory_lock($1)', [this.key.toString()]);
      try {
        return await fn();
      } finally {
        await this.client.query('SELECT pg_advisory_unlock($1)', [this.key.toString()]);
      }
    });
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
