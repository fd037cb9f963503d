// Development-time diff from a provider's migration tree to the schema, used by
// `node scripts/prisma.mjs migrate-diff NAME`. Replaying the migrations needs a scratch database:
// in-memory for SQLite, a throwaway database on BERTH_SHADOW_PG_URL for PostgreSQL.
import { mkdir, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg, { type PoolConfig } from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { patchConnections, pgCharAsText, pgScriptWhole, rawAsScript } from './adapter-patches.ts';
import { lockfileContent, migrationsDir, readMigrations, type Provider } from './migrations.ts';
import { NO_FILTERS, withSchemaEngine } from './schema-engine.ts';

const DEFAULT_SHADOW_PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

function pgConfig(url: string): PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || undefined,
  };
}

// Our own shadow database: adapter-pg 7.10's drops it while its pool is still connected
// ("is being accessed by other users") and, given a connectionString, never switches to it.
function pgDiffAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const config = pgConfig(url);
  const main = new PrismaPg(config);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => {
      const adapter = await main.connect();
      pgCharAsText(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const name = `berth_shadow_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client(config);
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const adapter = await new PrismaPg({ ...config, database: name }).connect();
      pgCharAsText(adapter);
      pgScriptWhole(adapter);
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
        await admin.end();
      };
      return adapter;
    },
  };
}

/** The SQL that brings the migrations in `baseDir` up to `schema`, or null when they match it. */
export async function diffMigration(provider: Provider, schema: string, baseDir: string): Promise<string | null> {
  const adapter =
    provider === 'sqlite'
      ? patchConnections(new PrismaBetterSqlite3({ url: ':memory:' }), { shadow: rawAsScript })
      : pgDiffAdapter(process.env.BERTH_SHADOW_PG_URL ?? DEFAULT_SHADOW_PG_URL);
  const migrations = await readMigrations(baseDir);
  const result = await withSchemaEngine(adapter, ['schema.prisma', schema], (engine) =>
    engine.diff({
      from: migrations.migrationDirectories.length ? { tag: 'migrations', ...migrations } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  return result.exitCode === 2 ? (result.stdout ?? '') : null;
}

// Prisma renders a Json column's default unquoted on SQLite (`DEFAULT {}`), which SQLite rejects
// (prisma/orm#26571, open); quote it as a string literal, the form the engine reads back.
export function quoteSqliteJsonDefaults(sql: string): string {
  return sql.replace(
    /^(\s*"[^"]+" JSONB(?: NOT NULL)? DEFAULT )([[{].*?)(,?)$/gm,
    (_m, head: string, value: string, comma: string) => `${head}'${value.replaceAll("'", "''")}'${comma}`,
  );
}

/** Writes `<dirName>/migration.sql` and the lockfile; returns the new file, or null if none was needed. */
export async function writeMigration(provider: Provider, schema: string, dirName: string): Promise<string | null> {
  const baseDir = migrationsDir(provider);
  const diff = await diffMigration(provider, schema, baseDir);
  if (diff === null) return null;
  const sql = provider === 'sqlite' ? quoteSqliteJsonDefaults(diff) : diff;
  const file = join(baseDir, dirName, 'migration.sql');
  await mkdir(join(baseDir, dirName), { recursive: true });
  await writeFile(file, sql);
  await writeFile(join(baseDir, 'migration_lock.toml'), lockfileContent(provider));
  return file;
}
