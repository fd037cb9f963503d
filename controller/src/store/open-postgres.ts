// PostgreSQL store: migrations run under a session advisory lock of our own so that controllers
// starting together apply them once; the rest wait, then find nothing left to apply.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Logger } from 'pino';
import { patchConnections, patchFactory, pgScriptWhole } from './adapter-patches.ts';
import { applyMigrations } from './apply-migrations.ts';
import { PrismaClient as PgPrismaClient } from './generated/postgresql/client.ts';
import { countStatements, type StatementCount } from './statement-counter.ts';
import { listenForNotices } from './notice-listener.ts';
import type { Store } from './store.ts';

// Not the engine's own key (72707369): it takes that one on a pooled connection of its own.
const MIGRATION_LOCK_KEY = 0x6265727468; // "berth"

export async function openPostgres(url: string, log: Logger): Promise<Store> {
  await migrateLocked(url, log);
  const statements: StatementCount = { value: 0 };
  const db = new PgPrismaClient({ adapter: patchFactory(new PrismaPg({ connectionString: url }), countStatements(statements)) });
  await db.$connect();
  return {
    db,
    provider: 'postgresql',
    statements: () => statements.value,
    listen: (channel, handlers) => listenForNotices(url, channel, handlers, log),
    close: () => db.$disconnect(),
  };
}

async function migrateLocked(url: string, log: Logger): Promise<void> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    // A pool we own, ended before our lock is released, so the engine's connections (and any
    // session lock the engine took on them) are gone by the time the next process goes in.
    const pool = new pg.Pool({ connectionString: url });
    try {
      await applyMigrations('postgresql', patchConnections(new PrismaPg(pool), { main: pgScriptWhole }), log);
    } finally {
      await pool.end();
    }
  } finally {
    await lock.end(); // ending the session releases its advisory lock
  }
}
