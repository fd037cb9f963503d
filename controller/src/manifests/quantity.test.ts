import { describe, expect, it } from 'vitest';
import { coresOf, formatCores, parseMilliCores } from './quantity.ts';

const milli = (v: unknown) => parseMilliCores(v);

describe('parseMilliCores', () => {
  it('reads cores the way Kubernetes spells CPU: numbers, decimal strings and millicores', () => {
    expect(milli(0.5)).toEqual({ milliCores: 500 });
    expect(milli('250m')).toEqual({ milliCores: 250 });
    expect(milli(2)).toEqual({ milliCores: 2000 });
    expect(milli('2')).toEqual({ milliCores: 2000 });
    expect(milli('1.5')).toEqual({ milliCores: 1500 });
    expect(milli('.5')).toEqual({ milliCores: 500 });
    expect(milli(0.001)).toEqual({ milliCores: 1 });
    expect(milli('1m')).toEqual({ milliCores: 1 });
  });

  it('is exact where binary floating point is not (0.7 x 1000, 1.001 x 1000)', () => {
    expect(milli(0.7)).toEqual({ milliCores: 700 });
    expect(milli(1.001)).toEqual({ milliCores: 1001 }); // 1.001 * 1000 is 1000.9999999999999
    expect(milli(0.29)).toEqual({ milliCores: 290 }); // 0.29 * 1000 is 289.99999999999994
  });

  it('accepts trailing zeros, which say nothing finer than a millicore', () => {
    expect(milli('0.5000')).toEqual({ milliCores: 500 });
    expect(milli('2.')).toEqual({ milliCores: 2000 });
  });

  it('accepts up to 256 cores and refuses more, saying the limit', () => {
    expect(milli(256)).toEqual({ milliCores: 256_000 });
    expect(milli('256000m')).toEqual({ milliCores: 256_000 });
    expect(milli(257)).toEqual({ error: 'must be at most 256 cores, got 257' });
    expect(milli('256001m')).toEqual({ error: 'must be at most 256 cores, got 256001m' });
  });

  it('refuses zero and negative amounts as not greater than 0', () => {
    for (const v of [0, '0', '0m', '0.000', -1, '-1', '-250m', -0.5]) {
      expect(milli(v)).toEqual({ error: expect.stringMatching(/^must be greater than 0/) });
    }
  });

  it('refuses amounts finer than a millicore instead of rounding them', () => {
    for (const v of [0.0001, 1.2345, '1.5m', '0.0005', 0.0015]) {
      expect(milli(v)).toEqual({ error: expect.stringContaining('whole number of millicores') });
    }
  });

  it('refuses what is not a CPU quantity, quoting it', () => {
    for (const v of ['abc', '', 'm', '1,5', '1e3', '2 cores', '1Gi', 1e-7, Number.NaN, Number.POSITIVE_INFINITY, null, true, {}]) {
      const result = milli(v);
      expect(result).toEqual({ error: expect.stringContaining('must be a number of cores such as 2 or 0.5, or millicores such as "250m"') });
    }
    expect(milli('abc')).toEqual({ error: expect.stringContaining('got "abc"') });
  });
});

describe('coresOf / formatCores', () => {
  it('prints millicores as the decimal a person wrote', () => {
    expect(coresOf(500)).toBe(0.5);
    expect(coresOf(1)).toBe(0.001);
    expect(coresOf(2250)).toBe(2.25);
    expect(String(coresOf(1001))).toBe('1.001');
    expect(formatCores(500)).toBe('0.5 cores');
    expect(formatCores(1000)).toBe('1 core');
    expect(formatCores(4000)).toBe('4 cores');
  });

  it('round-trips every millicore count through its printed form', () => {
    const wrong: number[] = [];
    for (let m = 1; m <= 256_000; m++) {
      const back = milli(String(coresOf(m)));
      if (!('milliCores' in back) || back.milliCores !== m) wrong.push(m);
    }
    expect(wrong).toEqual([]);
  });
});
