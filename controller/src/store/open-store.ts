// Opens the controller's store, PostgreSQL for a postgres:// URL and SQLite otherwise, with
// every pending migration applied before it returns. Each provider's client, driver and adapter
// load only when that provider is opened: a controller holds one of them, not both.
import { isAbsolute, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Store } from './store.ts';
import { keepWasmOnBaselineCompiler } from './wasm-baseline.ts';

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
  keepWasmOnBaselineCompiler();
  if (/^postgres(ql)?:\/\//.test(url)) return (await import('./open-postgres.ts')).openPostgres(url, log);
  if (url && !url.startsWith('file:')) throw new Error('store url must be postgres://, postgresql:// or file:');
  return (await import('./open-sqlite.ts')).openSqlite(sqlitePath(url, opts.dataDir), log);
}

function sqlitePath(url: string, dataDir = '.berth'): string {
  if (!url) return resolve(join(dataDir, 'berth.db'));
  const path = url.slice('file:'.length);
  return isAbsolute(path) ? path : resolve(path);
}
