// Applies the pending migrations of one provider's tree through Prisma's WebAssembly schema
// engine, which records them in `_prisma_migrations` exactly like `prisma migrate deploy`.
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { Logger } from 'pino';
import { migrationsDir, readMigrations, type Provider } from './migrations.ts';
import { NO_FILTERS, withSchemaEngine } from './schema-engine.ts';

/** Returns the names of the migrations it applied (empty when the database was up to date). */
export async function applyMigrations(
  provider: Provider,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: Logger,
  baseDir = migrationsDir(provider),
): Promise<string[]> {
  const migrationsList = await readMigrations(baseDir);
  // The engine only needs the datasource provider here; the models come from the migrations.
  const schema = `datasource db {\n  provider = "${provider}"\n}\n`;
  const applied = await withSchemaEngine(
    adapterFactory,
    ['schema.prisma', schema],
    async (engine) => (await engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).appliedMigrationNames,
    (line) => log.debug({ engine: line }, 'schema engine'),
  );
  if (applied.length) log.info({ provider, migrations: applied }, 'migrations applied');
  return applied;
}
