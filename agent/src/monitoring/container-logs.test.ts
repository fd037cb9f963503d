import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_TAIL, effectiveTail, LOG_CHUNK_BYTES, splitChunks } from './container-logs.ts';

describe('splitChunks', () => {
  it('cuts a 6 MB log into consecutive chunks no larger than the limit, losing nothing', () => {
    const log = Buffer.alloc(6_000_000, 'x');
    log.write('first', 0);
    log.write('last', log.length - 4);
    const chunks = splitChunks(log);
    expect(chunks.length).toBe(Math.ceil(6_000_000 / LOG_CHUNK_BYTES));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.concat(chunks).equals(log)).toBe(true);
  });

  it('sends nothing for an empty log and a short one whole', () => {
    expect(splitChunks(Buffer.alloc(0))).toEqual([]);
    expect(splitChunks(Buffer.from('one line\n')).map(String)).toEqual(['one line\n']);
  });
});

describe('effectiveTail', () => {
  it('reads the default number of lines when the request names none', () => {
    expect(effectiveTail(0)).toBe(DEFAULT_LOG_TAIL);
    expect(DEFAULT_LOG_TAIL).toBe(1000);
    expect(effectiveTail(50_000)).toBe(50_000);
  });
});
