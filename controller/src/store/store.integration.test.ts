import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchConnections, skipExclusiveLocking } from './adapter-patches.ts';
import { applyMigrations } from './apply-migrations.ts';
import { isUniqueViolation, openStore, type PrismaClient, type Store } from './index.ts';
import { migrationsDir, type Provider } from './migrations.ts';
import { updateRows } from './update-rows.ts';

const PG_URL = process.env.BERTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database per call, and how to remove them all. */
interface Target {
  fresh(): Promise<{ url?: string; dataDir?: string }>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dirs: string[] = [];
  return {
    fresh: async () => {
      dirs.push(mkdtempSync(join(tmpdir(), 'berth-store-')));
      return { dataDir: dirs[dirs.length - 1] };
    },
    cleanup: async () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): Target {
  const names: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect().catch((err: Error) => {
      throw new Error(`PostgreSQL is required for this suite and did not answer at ${PG_URL}: ${err.message}`);
    });
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    fresh: async () => {
      const name = `berth_test_${randomBytes(6).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      names.push(name);
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      return { url: url.toString() };
    },
    cleanup: async () => {
      if (!names.length) return;
      await admin(async (c) => {
        for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

async function migrationRows(db: PrismaClient) {
  const rows = await db.$queryRawUnsafe<{ id: string; migration_name: string; finished_at: unknown; rolled_back_at: unknown }[]>(
    'SELECT id, migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
  );
  return rows;
}

function expectedMigrations(provider: Provider): string[] {
  return readdirSync(migrationsDir(provider), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A copy of the provider's migrations up to (not including) the first whose name contains `upTo`. */
function migrationsBefore(provider: Provider, upTo: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-migrations-'));
  const names = expectedMigrations(provider);
  for (const name of names.slice(
    0,
    names.findIndex((n) => n.includes(upTo)),
  )) {
    cpSync(join(migrationsDir(provider), name), join(dir, name), { recursive: true });
  }
  cpSync(join(migrationsDir(provider), 'migration_lock.toml'), join(dir, 'migration_lock.toml'));
  return dir;
}

/** Migrates an empty database to an older schema and runs SQL on it, as a store of that version. */
async function withOldSchema(provider: Provider, where: { url?: string; dataDir?: string }, upTo: string, sql: string[]): Promise<void> {
  const dir = migrationsBefore(provider, upTo);
  const log = pino({ level: 'silent' });
  try {
    if (provider === 'sqlite') {
      const path = join(where.dataDir!, 'berth.db');
      await applyMigrations('sqlite', patchConnections(new PrismaBetterSqlite3({ url: path }), { main: skipExclusiveLocking }), log, dir);
      const raw = new Database(path);
      try {
        for (const statement of sql) raw.exec(statement);
      } finally {
        raw.close();
      }
      return;
    }
    const pool = new pg.Pool({ connectionString: where.url });
    try {
      await applyMigrations('postgresql', new PrismaPg(pool), log, dir);
      for (const statement of sql) await pool.query(statement);
    } finally {
      await pool.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function seedOwnerAndNode(db: PrismaClient) {
  const owner = await db.user.create({ data: { username: `u-${randomUUID()}` } });
  const node = await db.node.create({
    data: { name: `n-${randomUUID()}`, address: '10.0.0.1', cores: 8, memoryMiB: 16384 },
  });
  return { owner, node };
}

function reservationData(ownerId: string, activeName: string | null) {
  return {
    name: activeName ?? 'gone',
    ownerId,
    activeName,
    spec: { image: 'nginx' },
    imageName: 'nginx',
    milliCores: 1000,
    memoryMiB: 256,
    startAt: new Date('2030-01-01T00:00:00.000Z'),
    endAt: new Date('2030-01-01T01:30:00.000Z'),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected the write to be rejected'),
    (err: unknown) => err,
  );
}

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('store on $provider', ({ provider, target: makeTarget }) => {
  const target = makeTarget();
  const opened: Store[] = [];
  let db: PrismaClient;
  let location: { url?: string; dataDir?: string };

  const open = async (where: { url?: string; dataDir?: string }) => {
    const store = await openStore(where);
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    location = await target.fresh();
    db = (await open(location)).db;
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
    await target.cleanup();
  });

  it('applies every migration to an empty database, and re-opening applies nothing', async () => {
    expect(opened[0].provider).toBe(provider);
    const rows = await migrationRows(db);
    expect(rows.map((r) => r.migration_name)).toEqual(expectedMigrations(provider));
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
    const again = await open(location);
    expect(await migrationRows(again.db)).toEqual(rows);
  });

  it('round-trips every model with Json and DateTime fields', async () => {
    const { owner, node } = await seedOwnerAndNode(db);
    const expiresAt = new Date('2031-02-03T04:05:06.789Z');
    const token = await db.apiToken.create({ data: { userId: owner.id, tokenHash: randomUUID(), expiresAt } });
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: token.id } })).expiresAt).toEqual(expiresAt);

    const spec = { ref: 'nginx:1', ports: [{ name: 'http', port: 80 }], ok: true, none: null, ratio: 0.5 };
    const image = await db.image.create({ data: { name: `img-${randomUUID()}`, spec } });
    const readImage = await db.image.findUniqueOrThrow({ where: { id: image.id } });
    expect(readImage.spec).toEqual(spec);
    expect(readImage.labels).toEqual({});
    const updated = await db.image.update({ where: { id: image.id }, data: { labels: { tier: 'gold' }, generation: { increment: 1 } } });
    expect(updated.labels).toEqual({ tier: 'gold' });
    expect(updated.generation).toBe(2);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(readImage.updatedAt.getTime());

    const res = await db.reservation.create({ data: { ...reservationData(owner.id, 'web'), nodeId: node.id } });
    const status = { conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 1 };
    const startedAt = new Date('2030-01-01T00:00:01.250Z');
    await db.reservation.update({ where: { id: res.id }, data: { status, startedAt, phase: 'Running' } });
    const readRes = await db.reservation.findUniqueOrThrow({ where: { id: res.id }, include: { owner: true, node: true } });
    expect(readRes).toMatchObject({ status, startedAt, phase: 'Running', startAt: res.startAt, endAt: res.endAt });
    expect(readRes.owner.id).toBe(owner.id);
    expect(readRes.node?.id).toBe(node.id);

    const heartbeat = new Date('2030-05-06T07:08:09.010Z');
    await db.node.update({ where: { id: node.id }, data: { lastHeartbeat: heartbeat, metrics: { load: [0.1, 0.2] } } });
    expect(await db.node.findUniqueOrThrow({ where: { id: node.id } })).toMatchObject({
      lastHeartbeat: heartbeat,
      metrics: { load: [0.1, 0.2] },
      cordoned: false,
    });

    const port = await db.portAllocation.create({
      data: { reservationId: res.id, name: 'http', containerPort: 80, nodeId: node.id, nodePort: 30001, natPort: 40001 },
    });
    expect(await db.portAllocation.findUniqueOrThrow({ where: { natPort: 40001 } })).toEqual(port);

    const event = await db.event.create({
      data: { kind: 'Reservation', objectId: res.id, objectName: 'web', reason: 'Started', message: 'ok' },
    });
    expect(typeof event.id).toBe('number');
    expect(await db.event.findFirstOrThrow({ where: { kind: 'Reservation', objectId: res.id } })).toEqual(event);

    await db.reservation.delete({ where: { id: res.id } });
    await db.user.delete({ where: { id: owner.id } }); // tokens cascade with their user
    expect(await db.apiToken.count({ where: { id: token.id } })).toBe(0);
    await db.event.delete({ where: { id: event.id } });
    await db.image.delete({ where: { id: image.id } });
    await db.node.delete({ where: { id: node.id } });
  });

  it('rejects a second live reservation name per owner but allows many ended ones', async () => {
    const { owner } = await seedOwnerAndNode(db);
    await db.reservation.create({ data: reservationData(owner.id, 'db') });
    const err = await rejection(db.reservation.create({ data: reservationData(owner.id, 'db') }));
    expect(isUniqueViolation(err)).toBe(true);

    await db.reservation.create({ data: reservationData(owner.id, null) });
    await db.reservation.create({ data: reservationData(owner.id, null) });
    expect(await db.reservation.count({ where: { ownerId: owner.id, activeName: null } })).toBe(2);
    const other = await db.user.create({ data: { username: `u-${randomUUID()}` } });
    await db.reservation.create({ data: reservationData(other.id, 'db') });
  });

  it('rejects a taken NAT port and a taken node port as unique violations', async () => {
    const { owner, node } = await seedOwnerAndNode(db);
    const res = await db.reservation.create({ data: reservationData(owner.id, 'ports') });
    const base = { reservationId: res.id, containerPort: 80, nodeId: node.id };
    await db.portAllocation.create({ data: { ...base, name: 'a', nodePort: 31000, natPort: 41000 } });

    const sameNat = await rejection(db.portAllocation.create({ data: { ...base, name: 'b', nodePort: 31001, natPort: 41000 } }));
    expect(isUniqueViolation(sameNat)).toBe(true);
    const sameNodePort = await rejection(db.portAllocation.create({ data: { ...base, name: 'c', nodePort: 31000, natPort: 41002 } }));
    expect(isUniqueViolation(sameNodePort)).toBe(true);

    const otherNode = await db.node.create({ data: { name: `n-${randomUUID()}`, address: '10.0.0.2', cores: 2, memoryMiB: 2048 } });
    await db.portAllocation.create({ data: { ...base, nodeId: otherNode.id, name: 'd', nodePort: 31000, natPort: 41003 } });
  });

  it('does not mistake other failures for unique violations', async () => {
    const missingOwner = await rejection(db.reservation.create({ data: reservationData(randomUUID(), 'x') }));
    expect(missingOwner).toBeInstanceOf(Error);
    expect(isUniqueViolation(missingOwner)).toBe(false);
    expect(isUniqueViolation(new Error('P2002'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });

  it('updates many rows in one statement, each with its own text, integer and JSON values, and leaves other rows alone', async () => {
    const { owner, node } = await seedOwnerAndNode(db);
    const other = await db.node.create({ data: { name: `n-${randomUUID()}`, address: '10.0.0.3', cores: 2, memoryMiB: 2048 } });
    const [a, b, c] = await Promise.all(
      ['bulk-a', 'bulk-b', 'bulk-c'].map((n) => db.reservation.create({ data: { ...reservationData(owner.id, n), nodeId: node.id } })),
    );
    const ports = await Promise.all(
      [a, b].map((r, i) =>
        db.portAllocation.create({ data: { reservationId: r.id, name: 'http', containerPort: 80, nodeId: node.id, nodePort: 33000 + i, natPort: 43000 + i } }),
      ),
    );
    const status = (i: number) => ({ conditions: [{ type: 'Ready', status: 'False', reason: 'Rescheduled', message: `row ${i} "quoted" \\ ✓` }] });
    const changed = await updateRows(db, provider, {
      table: 'Reservation',
      columns: [
        { name: 'nodeId', type: 'text' },
        { name: 'status', type: 'json' },
      ],
      rows: [a, b].map((r, i) => ({ id: r.id, values: [other.id, status(i)] })),
    });
    expect(changed).toBe(2);
    const moved = await db.portAllocation.findMany({ where: { id: { in: ports.map((p) => p.id) } }, orderBy: { nodePort: 'asc' } });
    expect(
      await updateRows(db, provider, {
        table: 'PortAllocation',
        columns: [
          { name: 'nodeId', type: 'text' },
          { name: 'nodePort', type: 'int' },
        ],
        rows: moved.map((p, i) => ({ id: p.id, values: [other.id, 34000 + i] })),
      }),
    ).toBe(2);

    const after = await db.reservation.findMany({ where: { id: { in: [a.id, b.id, c.id] } } });
    const byId = new Map(after.map((r) => [r.id, r]));
    expect(byId.get(a.id)).toMatchObject({ nodeId: other.id, status: status(0) });
    expect(byId.get(b.id)).toMatchObject({ nodeId: other.id, status: status(1) });
    expect(byId.get(c.id)).toMatchObject({ nodeId: node.id, status: c.status });
    expect(
      (await db.portAllocation.findMany({ where: { id: { in: ports.map((p) => p.id) } }, orderBy: { nodePort: 'asc' } })).map((p) => [p.nodeId, p.nodePort]),
    ).toEqual([
      [other.id, 34000],
      [other.id, 34001],
    ]);
    // A taken node port is a unique violation, as with the model API, and the statement changes nothing.
    const clash = await rejection(
      updateRows(db, provider, {
        table: 'PortAllocation',
        columns: [
          { name: 'nodeId', type: 'text' },
          { name: 'nodePort', type: 'int' },
        ],
        rows: [{ id: moved[0].id, values: [other.id, 34001] }],
      }),
    );
    expect(isUniqueViolation(clash)).toBe(true);
    expect((await db.portAllocation.findUnique({ where: { id: moved[0].id } }))?.nodePort).toBe(34000);
  });

  it('deletes the port allocations of a deleted reservation', async () => {
    const { owner, node } = await seedOwnerAndNode(db);
    const res = await db.reservation.create({ data: reservationData(owner.id, 'cascade') });
    for (const [i, name] of ['http', 'admin'].entries()) {
      await db.portAllocation.create({
        data: { reservationId: res.id, name, containerPort: 80 + i, nodeId: node.id, nodePort: 32000 + i, natPort: 42000 + i },
      });
    }
    expect(await db.portAllocation.count({ where: { reservationId: res.id } })).toBe(2);
    await db.reservation.delete({ where: { id: res.id } });
    expect(await db.portAllocation.count({ where: { reservationId: res.id } })).toBe(0);
  });

  it('carries reservation CPU over to millicores (x1000) and recovers fractions the integer column lost', async () => {
    const where = await target.fresh();
    const row = (id: string, cores: string, spec: object, image = 'half') =>
      `INSERT INTO "Reservation" ("id", "name", "ownerId", "activeName", "spec", "imageName", "cores", "memoryMiB", "startAt", "endAt", "updatedAt") ` +
      `VALUES ('${id}', '${id}', 'u1', '${id}', '${JSON.stringify(spec)}', '${image}', ${cores}, 64, '2030-01-01T00:00:00.000Z', '2030-01-01T01:00:00.000Z', '2030-01-01T00:00:00.000Z')`;
    await withOldSchema(provider, where, '_millicores', [
      `INSERT INTO "User" ("id", "username") VALUES ('u1', 'old-customer')`,
      `INSERT INTO "Image" ("id", "name", "spec", "updatedAt") VALUES ('i1', 'half', '${JSON.stringify({ ref: 'x:1', resources: { cores: 0.25, memory: '64Mi' } })}', '2030-01-01T00:00:00.000Z')`,
      row('whole', '2', { image: 'half', cores: 2 }),
      row('defaulted', '1', { image: 'half' }),
      row('lost-half', '0', { image: 'half', cores: 0.5 }), // what `cores: 0.5` became before
      row('lost-default', '0', { image: 'half' }), // the image's 0.25 default, truncated alike
      row('lost-gone', '0', { image: 'deleted' }, 'deleted'), // nothing left to recover from
      // SQLite keeps a REAL in an INTEGER column when it cannot convert it losslessly.
      ...(provider === 'sqlite' ? [row('real-half', '0.5', { image: 'half', cores: 0.5 })] : []),
    ]);
    const store = await open(where);
    const rows = await store.db.reservation.findMany({ select: { name: true, milliCores: true, spec: true, memoryMiB: true }, orderBy: { name: 'asc' } });
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.milliCores]));
    expect(byName).toEqual({
      whole: 2000,
      defaulted: 1000,
      'lost-half': 500,
      'lost-default': 250,
      'lost-gone': 0,
      ...(provider === 'sqlite' ? { 'real-half': 500 } : {}),
    });
    // The rest of each row came along untouched.
    expect(rows.find((r) => r.name === 'lost-half')).toMatchObject({ spec: { image: 'half', cores: 0.5 }, memoryMiB: 64 });
  });

  it('fills the image snapshot of existing reservations from their image as it is, and leaves the rest of each row alone', async () => {
    const where = await target.fresh();
    const imageSpec = { ref: 'x:2', ports: [{ name: 'http', port: 80 }], env: { A: '1' }, resources: { cores: 1, memory: '64Mi' } };
    const row = (id: string, image: string) =>
      `INSERT INTO "Reservation" ("id", "name", "ownerId", "activeName", "spec", "imageName", "milliCores", "memoryMiB", "rateCentsPerCoreHour", "startAt", "endAt", "updatedAt") ` +
      `VALUES ('${id}', '${id}', 'u1', '${id}', '${JSON.stringify({ image })}', '${image}', 500, 64, 70, '2030-01-01T00:00:00.000Z', '2030-01-01T01:00:00.000Z', '2030-01-01T00:00:00.000Z')`;
    await withOldSchema(provider, where, '_image_snapshot', [
      `INSERT INTO "User" ("id", "username") VALUES ('u1', 'old-customer')`,
      `INSERT INTO "Image" ("id", "name", "spec", "generation", "updatedAt") VALUES ('i1', 'web', '${JSON.stringify(imageSpec)}', 3, '2030-01-01T00:00:00.000Z')`,
      row('running', 'web'),
      row('orphan', 'deleted'), // an ended reservation whose image is gone: nothing to carry
    ]);
    const store = await open(where);
    const rows = await store.db.reservation.findMany({
      select: { name: true, imageSpec: true, imageGeneration: true, milliCores: true, rateCentsPerCoreHour: true },
      orderBy: { name: 'asc' },
    });
    expect(rows).toEqual([
      { name: 'orphan', imageSpec: null, imageGeneration: null, milliCores: 500, rateCentsPerCoreHour: 70 },
      { name: 'running', imageSpec, imageGeneration: 3, milliCores: 500, rateCentsPerCoreHour: 70 },
    ]);
  });

  it('opens one fresh database from two stores at once, applying each migration once', async () => {
    const where = await target.fresh();
    const [a, b] = await Promise.all([open(where), open(where)]);
    const rows = await migrationRows(a.db);
    expect(rows.map((r) => r.migration_name)).toEqual(expectedMigrations(provider));
    expect(await migrationRows(b.db)).toEqual(rows);
    await b.db.user.create({ data: { username: 'both-see-this' } });
    expect(await a.db.user.count({ where: { username: 'both-see-this' } })).toBe(1);
  });
});
