// The SQLite statement cache reuses prepared statements: each call must still see its own
// arguments, in and out of transactions, for reads and writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-stmt-'));
let store: Store | undefined;
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite with cached statements', () => {
  it('answers each repeated query with its own arguments, inside and outside transactions', async () => {
    store = await openStore({ dataDir: dir });
    const { db } = store;
    for (let i = 0; i < 20; i++) await db.user.create({ data: { username: `u${i}`, role: i % 2 ? 'admin' : 'customer' } });
    for (let i = 0; i < 20; i++) expect((await db.user.findUnique({ where: { username: `u${i}` } }))?.role).toBe(i % 2 ? 'admin' : 'customer');
    await db.$transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.user.update({ where: { username: `u${i}` }, data: { email: `u${i}@example.com` } });
    });
    expect((await db.user.findMany({ where: { email: { not: null } }, orderBy: { username: 'asc' } })).map((u) => u.email)).toEqual([
      'u0@example.com',
      'u1@example.com',
      'u2@example.com',
      'u3@example.com',
      'u4@example.com',
    ]);
    expect(await db.user.count({ where: { role: 'admin' } })).toBe(10);
    await expect(db.user.create({ data: { username: 'u1' } })).rejects.toMatchObject({ code: 'P2002' });
  });
});
