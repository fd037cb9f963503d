// Throwaway PostgreSQL databases for integration tests: one per call, dropped by dropAll().
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_PG_URL = process.env.BERTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Runs one statement on the server's default database. */
export async function pgAdmin(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is required for this suite and did not answer at ${TEST_PG_URL}: ${err.message}`);
  });
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

export class PgDatabases {
  private readonly names: string[] = [];

  constructor(private readonly prefix: string) {}

  /** The URL of a new, empty database. */
  async fresh(): Promise<string> {
    const name = `${this.prefix}_${randomBytes(6).toString('hex')}`;
    await pgAdmin(`CREATE DATABASE ${name}`);
    this.names.push(name);
    const url = new URL(TEST_PG_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async dropAll(): Promise<void> {
    for (const name of this.names.splice(0)) await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
