// Two controllers' admission locks on one real PostgreSQL: critical sections never interleave.
import { afterAll, describe, expect, it } from 'vitest';
import { AdvisoryMutex } from './advisory-mutex.ts';

const PG_URL = process.env.BERTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
// A key of its own so a concurrently running controller test never contends with this one.
const KEY = BigInt(Math.floor(Math.random() * 2 ** 40));
const opened: AdvisoryMutex[] = [];

afterAll(async () => {
  for (const m of opened) await m.close();
});

describe('AdvisoryMutex', () => {
  it('serializes critical sections across separate connections (as across controllers)', async () => {
    const a = await AdvisoryMutex.connect(PG_URL, KEY);
    const b = await AdvisoryMutex.connect(PG_URL, KEY);
    opened.push(a, b);
    let inside = 0;
    let maxInside = 0;
    const section = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      // Yield to the event loop several times so an unserialized peer would get in.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      inside--;
      return 1;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).run(section)));
    expect(results).toHaveLength(20);
    expect(maxInside).toBe(1);
  });

  it('releases the lock when the section throws', async () => {
    const a = await AdvisoryMutex.connect(PG_URL, KEY);
    const b = await AdvisoryMutex.connect(PG_URL, KEY);
    opened.push(a, b);
    await expect(
      a.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await b.run(async () => 'got it')).toBe('got it');
  });
});
