import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './store.ts';
import { openTestStore } from './test-store.testkit.ts';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-statements-'));
  store = await openTestStore(dir);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the store statement count', () => {
  it('counts each statement sent, in and out of transactions, and one per relation an include reads', async () => {
    const { db } = store;
    const sent = async (work: () => Promise<unknown>) => {
      const before = store.statements();
      await work();
      return store.statements() - before;
    };
    expect(await sent(() => db.user.findMany())).toBe(1);
    // Both inserts at least (Prisma may add a read of its own inside the transaction).
    expect(
      await sent(() => db.$transaction([db.user.create({ data: { username: 'a' } }), db.user.create({ data: { username: 'b' } })])),
    ).toBeGreaterThanOrEqual(2);
    // Prisma reads an included relation with a statement of its own.
    expect(await sent(() => db.user.findMany({ include: { tokens: true } }))).toBe(2);
  });
});
