// Opens the controller's store, PostgreSQL for a postgres:// URL and SQLite otherwise, with
// every pending migration applied before it returns.
import { isAbsolute, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { openPostgres } from './open-postgres.ts';
import { openSqlite } from './open-sqlite.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** postgres:// or postgresql:// for PostgreSQL; `file:PATH` for a SQLite file. */
  url?: string;
  /** Where the default SQLite file `berth.db` lives (default `.berth`). */
  dataDir?: string;
  log?: Logger;
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'store' });
  const url = opts.url ?? '';
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, log);
  if (url && !url.startsWith('file:')) throw new Error('store url must be postgres://, postgresql:// or file:');
  return openSqlite(sqlitePath(url, opts.dataDir), log);
}

function sqlitePath(url: string, dataDir = '.berth'): string {
  if (!url) return resolve(join(dataDir, 'berth.db'));
  const path = url.slice('file:'.length);
  return isAbsolute(path) ? path : resolve(path);
}
