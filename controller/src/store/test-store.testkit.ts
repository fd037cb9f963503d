// Stores for unit tests: one SQLite database per test worker is migrated through openStore and
// kept in memory, and every store a test opens starts as a copy of it. Applying the migrations
// (the schema engine and some forty DDL statements) is most of what opening a fresh store costs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './open-store.ts';
import { connectSqlite } from './open-sqlite.ts';
import { PRIVATE_FILE_MODE } from './private-files.ts';
import type { Store } from './store.ts';

let template: Promise<Buffer> | undefined;

async function migratedDatabase(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-template-'));
  try {
    // Closing the only connection checkpoints the write-ahead log into the file.
    await (await openStore({ dataDir: dir })).close();
    return readFileSync(join(dir, 'berth.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A migrated, empty store in `dataDir` (its berth.db, mode 0600), as openStore would leave it. */
export async function openTestStore(dataDir: string): Promise<Store> {
  template ??= migratedDatabase().catch((err: unknown) => {
    template = undefined;
    throw err;
  });
  const path = join(dataDir, 'berth.db');
  writeFileSync(path, await template, { mode: PRIVATE_FILE_MODE });
  return connectSqlite(path);
}
