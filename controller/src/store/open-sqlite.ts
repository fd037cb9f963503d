// SQLite store: WAL so readers never block the writer, and a busy timeout so a second
// connection or process waits for the write lock instead of failing with SQLITE_BUSY.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { cacheStatements, patchConnections, patchFactory, skipExclusiveLocking, yieldBeforeQueries } from './adapter-patches.ts';
import { ensurePrivateFile, narrowIfExists, PRIVATE_DIR_MODE } from './private-files.ts';
import { applyMigrations } from './apply-migrations.ts';
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client.ts';
import { countStatements, type StatementCount } from './statement-counter.ts';
import type { PrismaClient, Store } from './store.ts';

const BUSY_TIMEOUT_MS = 15_000;
const MIGRATION_LOCK_WAIT_MS = 60_000;

// Every file SQLite keeps next to the database: they hold the same data.
const SIDE_FILES = ['-wal', '-shm', '-journal', '.migrate-lock', '.migrate-lock-journal'];

export async function openSqlite(path: string, log: Logger): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  // Private before SQLite first opens it: its side files are then created with the same mode.
  ensurePrivateFile(path);
  ensurePrivateFile(`${path}.migrate-lock`);
  for (const suffix of SIDE_FILES) narrowIfExists(`${path}${suffix}`);
  const raw = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  raw.pragma('journal_mode = WAL'); // persistent: stored in the database file
  raw.close();
  await migrateLocked(path, log);
  return connectSqlite(path);
}

/** The client of a SQLite file whose migrations are applied (openSqlite prepares the file first). */
export async function connectSqlite(path: string): Promise<Store> {
  const statements: StatementCount = { value: 0 };
  const adapter = patchFactory(new PrismaBetterSqlite3({ url: path, timeout: BUSY_TIMEOUT_MS }), (a) => {
    yieldBeforeQueries(a);
    cacheStatements(a);
    countStatements(statements)(a);
  });
  const db = new SqlitePrismaClient({ adapter }) as unknown as PrismaClient;
  await db.$connect();
  return { db, provider: 'sqlite', statements: () => statements.value, close: () => db.$disconnect() };
}

// Opens of one file, in this process or another, must not both apply a migration. The engine
// writes to the database itself, so the lock is a write transaction on a side file. It is polled
// rather than waited for through the busy timeout: that wait is synchronous and would stall this
// process's event loop, and with it an open of the same file already under way here.
async function migrateLocked(path: string, log: Logger): Promise<void> {
  const lock = new Database(`${path}.migrate-lock`, { timeout: 0 });
  try {
    await acquire(lock, Date.now() + MIGRATION_LOCK_WAIT_MS);
    const adapter = new PrismaBetterSqlite3({ url: path, timeout: BUSY_TIMEOUT_MS });
    await applyMigrations('sqlite', patchConnections(adapter, { main: skipExclusiveLocking }), log);
  } finally {
    lock.close(); // closing rolls the empty transaction back and frees the lock
  }
}

async function acquire(lock: Database.Database, deadline: number): Promise<void> {
  for (;;) {
    try {
      lock.exec('BEGIN IMMEDIATE');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
