import { describe, expect, it } from 'vitest';
import { renderRowUpdate } from './update-rows.ts';

const u = {
  table: 'PortAllocation',
  columns: [
    { name: 'nodeId', type: 'text' as const },
    { name: 'nodePort', type: 'int' as const },
  ],
  rows: [
    { id: 'p1', values: ['n2', 20001] },
    { id: 'p2', values: ['n3', 20002] },
  ],
};

describe('renderRowUpdate', () => {
  it('binds every value as a parameter, in the order SQLite reads its positional ones', () => {
    const { sql, params } = renderRowUpdate('sqlite', u);
    expect(sql).toBe(
      'UPDATE "PortAllocation" SET "nodeId" = v.column2, "nodePort" = v.column3 FROM (VALUES (?, ?, ?), (?, ?, ?)) AS v WHERE "PortAllocation"."id" = v.column1',
    );
    expect(params).toEqual(['p1', 'n2', 20001, 'p2', 'n3', 20002]);
  });

  it('numbers PostgreSQL parameters and casts each column to its type', () => {
    const { sql } = renderRowUpdate('postgresql', {
      ...u,
      columns: [...u.columns, { name: 'status', type: 'json' }],
      rows: [{ id: 'p1', values: ['n2', 1, { a: 1 }] }],
    });
    expect(sql).toContain('"nodeId" = CAST(v.column2 AS text), "nodePort" = CAST(v.column3 AS integer), "status" = CAST(v.column4 AS jsonb)');
    expect(sql).toContain('(VALUES ($1, $2, $3, $4))');
  });

  it('refuses a table or column name that is not a plain identifier, and a row with the wrong number of values', () => {
    expect(() => renderRowUpdate('sqlite', { ...u, table: 'P"; DROP TABLE x; --' })).toThrow('not an identifier');
    expect(() => renderRowUpdate('sqlite', { ...u, rows: [{ id: 'p1', values: ['n2'] }] })).toThrow('1 values for 2 columns');
  });
});
