// Loads Prisma's WebAssembly schema engine ourselves: the package's entry imports the .wasm as an
// ES module, which Node 20 only allows behind --experimental-wasm-modules.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export type { SchemaEngine, MigrationList, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';

let loaded: Promise<typeof bg> | undefined;

function loadWasm(): Promise<typeof bg> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(bgPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return bg;
  })();
  return loaded;
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] };

/**
 * Runs `fn` with a schema engine bound to a driver adapter (`schema` is [path, content] of a
 * Prisma schema), then frees the engine and closes every connection it opened: freeing the
 * engine alone leaves them open, and an open SQLite connection can hold the write lock.
 */
export async function withSchemaEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: [string, string],
  fn: (engine: SchemaEngine) => Promise<T>,
  onLog: (line: string) => void = () => {},
): Promise<T> {
  const wasm = await loadWasm();
  const opened: SqlDriverAdapter[] = [];
  // The engine disposes some connections itself (the shadow database); dispose each only once.
  const track = async (pending: Promise<SqlDriverAdapter>) => {
    const adapter = await pending;
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose());
    opened.push(adapter);
    return adapter;
  };
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: () => track(adapterFactory.connect()),
    connectToShadowDb: () => track(adapterFactory.connectToShadowDb()),
  };
  const engine = await wasm.SchemaEngine.new({ datamodels: [schema] }, onLog, bindMigrationAwareSqlAdapterFactory(tracking));
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((adapter) => adapter.dispose()));
  }
}
