import { describe, expect, it } from 'vitest';
import { GroupQueue, type Settled } from './group-queue.ts';
import { Mutex } from './mutex.ts';

/** A handler that records each group and answers item * 10 (an odd item fails alone). */
function recorder(gate?: Promise<void>) {
  const groups: number[][] = [];
  const handle = async (items: number[]): Promise<Array<Settled<number>>> => {
    groups.push(items);
    await gate;
    return items.map((i) => (i % 2 ? { err: new Error(`odd ${i}`) } : { ok: i * 10 }));
  };
  return { groups, handle };
}

describe('GroupQueue', () => {
  it('takes everything that arrived while a section ran into the next section, one outcome each', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const mutex = new Mutex();
    const { groups, handle } = recorder();
    const q = new GroupQueue<number, number>(
      (s) => mutex.run(s),
      async (items) => {
        if (groups.length === 0) await gate; // the first section holds the lock until opened
        return handle(items);
      },
    );
    const first = q.submit(0);
    await Promise.resolve();
    const later = [2, 3, 4].map((i) => q.submit(i));
    open();
    expect(await first).toBe(0);
    const settled = await Promise.allSettled(later);
    expect(groups).toEqual([[0], [2, 3, 4]]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([20, 'odd 3', 40]);
  });

  it('bounds a group and runs the rest in the sections after it', async () => {
    const mutex = new Mutex();
    const { groups, handle } = recorder();
    const q = new GroupQueue<number, number>((s) => mutex.run(s), handle, 2);
    const all = await Promise.all([0, 2, 4, 6, 8].map((i) => q.submit(i)));
    expect(all).toEqual([0, 20, 40, 60, 80]);
    expect(groups).toEqual([[0, 2], [4, 6], [8]]);
  });

  it('fails every member of a group whose handler throws, and serves the next group', async () => {
    const mutex = new Mutex();
    let calls = 0;
    const q = new GroupQueue<number, number>(
      (s) => mutex.run(s),
      async (items) => {
        if (calls++ === 0) throw new Error('store down');
        return items.map((i) => ({ ok: i }));
      },
    );
    const failed = await Promise.allSettled([q.submit(1), q.submit(2)]);
    expect(failed.map((f) => f.status === 'rejected' && (f.reason as Error).message)).toEqual(['store down', 'store down']);
    expect(await q.submit(3)).toBe(3);
  });

  it('fails the group when the section cannot be entered (the lock), and later submits still run', async () => {
    let lockBroken = true;
    const mutex = new Mutex();
    const q = new GroupQueue<number, number>(
      (s) => (lockBroken ? Promise.reject(new Error('lock connection lost')) : mutex.run(s)),
      async (items) => items.map((i) => ({ ok: i })),
    );
    await expect(q.submit(1)).rejects.toThrow('lock connection lost');
    lockBroken = false;
    expect(await q.submit(2)).toBe(2);
  });
});
