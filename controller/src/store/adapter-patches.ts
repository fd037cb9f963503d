// Work-arounds for gaps between Prisma 7.10's WebAssembly schema engine and its driver adapters,
// applied to the connections the engine opens, and (yieldBeforeQueries) to the application's
// SQLite connection.
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

type Patch = (adapter: SqlDriverAdapter) => void;

/** The same factory, with `main` applied to each connection it makes and `shadow` to shadow ones. */
export function patchConnections(
  factory: SqlMigrationAwareDriverAdapterFactory,
  patches: { main?: Patch; shadow?: Patch },
): SqlMigrationAwareDriverAdapterFactory {
  const apply = async (pending: Promise<SqlDriverAdapter>, patch?: Patch) => {
    const adapter = await pending;
    patch?.(adapter);
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => apply(factory.connect(), patches.main),
    connectToShadowDb: () => apply(factory.connectToShadowDb(), patches.shadow),
  };
}

// The SQLite engine puts its connection in EXCLUSIVE locking mode, which on a WAL database fails
// with SQLITE_BUSY while any other connection (a running controller, the CLI) has it open. Our own
// migration lock already keeps engines apart, so the pragma is skipped.
export const skipExclusiveLocking: Patch = (adapter) => {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = (query) => (/^\s*PRAGMA\s+(main\.)?locking_mode\s*=\s*EXCLUSIVE\s*;?\s*$/i.test(query.sql) ? Promise.resolve(0) : executeRaw(query));
};

// The engine replays a migration into the SQLite shadow database as ONE executeRaw call, which
// better-sqlite3 refuses ("contains more than one statement"); run argument-less SQL as a script.
export const rawAsScript: Patch = (adapter) => {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    if (query.args.length) return executeRaw(query);
    await adapter.executeScript(query.sql);
    return 0;
  };
};

// adapter-pg runs a script by splitting it on every ';', which cuts a function body ($$ ... $$)
// apart. PostgreSQL takes a multi-statement script as one simple query, in one implicit
// transaction, so a migration now applies whole or not at all.
export const pgScriptWhole: Patch = (adapter) => {
  const pgAdapter = adapter as SqlDriverAdapter & { client: { query(sql: string): Promise<unknown> }; onError?(err: unknown): never };
  adapter.executeScript = async (script) => {
    try {
      await pgAdapter.client.query(script);
    } catch (err) {
      if (pgAdapter.onError) pgAdapter.onError(err);
      throw err;
    }
  };
};

type PerformIO = (query: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;

// Introspecting PostgreSQL returns catalog columns of type "char" (oid 18), which adapter-pg 7.10
// refuses ("Column type 'char' could not be deserialized"); read them as text (oid 25).
export const pgCharAsText: Patch = (adapter) => {
  const pgAdapter = adapter as SqlDriverAdapter & { performIO: PerformIO };
  const performIO = pgAdapter.performIO.bind(pgAdapter);
  pgAdapter.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
};

// better-sqlite3 answers synchronously, so a chain of awaited queries resolves in microtasks and
// never lets the event loop serve I/O: under load, heartbeats and /healthz waited for whole
// reconciles and applies. A query outside a transaction first yields to the event loop when the
// loop has not had a turn for SLICE_MS (yielding before every query halved apply throughput).
// Queries inside a transaction keep running back to back: they hold the connection.
// The chains that yielded resume in one immediate phase of the loop, each for up to SLICE_MS:
// 200 agents joining at once made that one phase last ~0.5 s with no I/O served. So a phase
// resumes chains only until SLICE_MS are spent in it; the rest resume in the next loop turn,
// after the loop has polled I/O (bench:scale, SQLite, 200 nodes: /healthz max 950 ms before).
const SLICE_MS = 10;
let lastTurn = 0;
/** When the current immediate phase began resuming chains; -1 outside one. */
let phaseStart = -1;

function resumeInBudget(resolve: () => void): void {
  const now = performance.now();
  if (phaseStart < 0) {
    phaseStart = now;
    // Scheduled now, it runs first in the next turn's immediate phase: that phase starts afresh.
    setImmediate(() => {
      phaseStart = -1;
    });
  }
  if (now - phaseStart > SLICE_MS) {
    setImmediate(() => resumeInBudget(resolve));
    return;
  }
  lastTurn = now;
  resolve();
}

export const yieldBeforeQueries: Patch = (adapter) => {
  const queryRaw = adapter.queryRaw.bind(adapter);
  const executeRaw = adapter.executeRaw.bind(adapter);
  const turn = async () => {
    if (performance.now() - lastTurn < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(() => resumeInBudget(resolve)));
  };
  adapter.queryRaw = async (query) => {
    await turn();
    return queryRaw(query);
  };
  adapter.executeRaw = async (query) => {
    await turn();
    return executeRaw(query);
  };
};

/** An adapter factory whose connections get `patch` (for a PrismaClient's own adapter). */
export function patchFactory<F extends { connect(): Promise<SqlDriverAdapter> }>(factory: F, patch: Patch): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    patch(adapter);
    return adapter;
  };
  return factory;
}

// adapter-better-sqlite3 prepares every statement anew (`prepare(sql).bind(args)`): SQLite
// re-parses and re-plans the same few dozen statements thousands of times a second under load.
// Prepared statements are kept per SQL text (bounded) and given their arguments at each call
// instead of bind(), which better-sqlite3 allows only once per statement.
const STATEMENT_CACHE_SIZE = 500;

interface Statement {
  readonly reader: boolean;
  run(args: unknown[]): unknown;
  columns(): unknown[];
  raw(on: boolean): { all(args: unknown[]): unknown[] };
}

export const cacheStatements: Patch = (adapter) => {
  const db = (adapter as unknown as { client?: { prepare(sql: string): Statement } }).client;
  if (!db) return;
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt);
    }
    return bindable(stmt);
  }) as never;
};

/** What the adapter uses of `prepare(sql).bind(args)` (and `prepare('BEGIN').run()`), over a statement kept for reuse. */
function bindable(stmt: Statement) {
  return {
    run: () => stmt.run([]),
    bind: (args: unknown[]) => ({
      reader: stmt.reader,
      run: () => stmt.run(args),
      columns: () => stmt.columns(),
      raw: () => ({ all: () => stmt.raw(true).all(args) }),
    }),
  };
}
