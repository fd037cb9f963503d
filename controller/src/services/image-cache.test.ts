import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../store/generated/postgresql/client.ts';
import { ImageCache } from './image-cache.ts';

/** A store whose image table is a map, counting reads. */
function store(rows: Map<string, { name: string; spec: unknown }>) {
  const reads = { count: 0 };
  const db = {
    image: {
      findUnique: async ({ where }: { where: { name: string } }) => {
        reads.count++;
        return rows.get(where.name) ?? null;
      },
    },
  };
  return { db: db as unknown as PrismaClient, reads };
}

describe('ImageCache', () => {
  it('reads an image once per TTL, again after it or after forget()', async () => {
    const rows = new Map([['web', { name: 'web', spec: { v: 1 } }]]);
    const { db, reads } = store(rows);
    let now = 0;
    const cache = new ImageCache(db, () => now, 1_000);
    expect((await cache.get('web'))?.spec).toEqual({ v: 1 });
    rows.set('web', { name: 'web', spec: { v: 2 } });
    expect((await cache.get('web'))?.spec).toEqual({ v: 1 });
    expect(reads.count).toBe(1);
    now = 1_000;
    expect((await cache.get('web'))?.spec).toEqual({ v: 2 });
    rows.set('web', { name: 'web', spec: { v: 3 } });
    cache.forget('web');
    expect((await cache.get('web'))?.spec).toEqual({ v: 3 });
    expect(reads.count).toBe(3);
  });

  it('does not remember that an image is missing', async () => {
    const rows = new Map<string, { name: string; spec: unknown }>();
    const { db } = store(rows);
    const cache = new ImageCache(db, () => 0, 1_000);
    expect(await cache.get('db')).toBeNull();
    rows.set('db', { name: 'db', spec: {} });
    expect(await cache.get('db')).not.toBeNull();
  });
});
