import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { yieldBeforeQueries } from './adapter-patches.ts';

/** An adapter answering like better-sqlite3: synchronously, each query costing `ms` of CPU. */
function syncAdapter(ms: number, onQuery: () => void): SqlDriverAdapter {
  const busy = async () => {
    onQuery();
    const until = performance.now() + ms;
    while (performance.now() < until);
    return { columnNames: [], columnTypes: [], rows: [] };
  };
  const adapter = { queryRaw: busy, executeRaw: async () => (await busy(), 0) } as unknown as SqlDriverAdapter;
  yieldBeforeQueries(adapter);
  return adapter;
}

describe('yieldBeforeQueries', () => {
  it('lets the event loop poll I/O after a few queries while many chains of synchronous queries run at once', async () => {
    let queries = 0;
    const adapter = syncAdapter(1, () => queries++);
    const chain = async () => {
      for (let i = 0; i < 10; i++) await adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] });
    };
    // A 0 ms timer stands for /healthz and heartbeats: it fires once per loop turn that polls.
    // Counted in queries, not ms, so a loaded machine cannot make it pass or fail.
    const perTurn: number[] = [];
    let done = false;
    let seen = 0;
    const tick = () =>
      setTimeout(() => {
        perTurn.push(queries - seen);
        seen = queries;
        if (!done) tick();
      }, 0);
    tick();
    await Promise.all(Array.from({ length: 60 }, chain));
    done = true;
    expect(queries).toBe(600);
    // A turn resumes chains for one 10 ms budget, each running up to its own 10 ms slice: ~20
    // queries of 1 ms. Without the budget one turn resumed every waiting chain: all 600.
    expect(Math.max(...perTurn)).toBeLessThan(100);
  });
});
