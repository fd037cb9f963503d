// One UPDATE for many rows that each get their own values. Prisma has no per-row updateMany, and
// at 1,000 nodes the evacuation of a lost node spent ~26 ms of controller time per moved
// reservation in one `update` per row (bench:scale, PostgreSQL, 100 nodes lost): the cost is
// per statement, so a node's moves go out as one statement per table.
import type { PrismaClient } from './generated/postgresql/client.ts';
import type { Provider } from './migrations.ts';

export type ColumnType = 'text' | 'int' | 'json';

export interface RowUpdate {
  table: string;
  /** Columns set on every row, in the order of each row's values. */
  columns: ReadonlyArray<{ name: string; type: ColumnType }>;
  rows: ReadonlyArray<{ id: string; values: ReadonlyArray<string | number | object | null> }>;
}

/** Rows per statement: well under both engines' bound-parameter limits. */
const CHUNK = 400;

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The statement for one chunk and its parameters; pure (exported for its unit test). */
export function renderRowUpdate(provider: Provider, u: RowUpdate): { sql: string; params: unknown[] } {
  for (const name of [u.table, ...u.columns.map((c) => c.name)]) if (!IDENT.test(name)) throw new Error(`not an identifier: ${name}`);
  const params: unknown[] = [];
  const slot = (value: unknown) => {
    params.push(value);
    return provider === 'postgresql' ? `$${params.length}` : '?';
  };
  const tuples = u.rows.map((r) => {
    if (r.values.length !== u.columns.length) throw new Error(`row ${r.id}: ${r.values.length} values for ${u.columns.length} columns`);
    // The id's slot first: SQLite's `?` are positional, so parameters go in the order written.
    const id = slot(r.id);
    const cells = r.values.map((v, i) => slot(u.columns[i].type === 'json' && v !== null ? JSON.stringify(v) : v));
    return `(${[id, ...cells].join(', ')})`;
  });
  // VALUES columns are column1, column2, ... in both engines; PostgreSQL reads the parameters
  // as text, so they are cast to the column's type (SQLite keeps JSON as text and takes them as is).
  const pgType = { text: 'text', int: 'integer', json: 'jsonb' } as const;
  const set = u.columns
    .map((c, i) => `"${c.name}" = ${provider === 'postgresql' ? `CAST(v.column${i + 2} AS ${pgType[c.type]})` : `v.column${i + 2}`}`)
    .join(', ');
  const sql = `UPDATE "${u.table}" SET ${set} FROM (VALUES ${tuples.join(', ')}) AS v WHERE "${u.table}"."id" = v.column1`;
  return { sql, params };
}

/** Applies the update in chunks; resolves to the number of rows changed. */
export async function updateRows(db: PrismaClient, provider: Provider, u: RowUpdate): Promise<number> {
  let changed = 0;
  for (let i = 0; i < u.rows.length; i += CHUNK) {
    const { sql, params } = renderRowUpdate(provider, { ...u, rows: u.rows.slice(i, i + CHUNK) });
    changed += await db.$executeRawUnsafe(sql, ...params);
  }
  return changed;
}
