import { describe, expect, it } from 'vitest';
import { nanoCpus } from './cpu-limit.ts';

describe('nanoCpus', () => {
  it('limits a container to exactly its millicores (500m is 500,000,000 NanoCpus)', () => {
    expect(nanoCpus({ cpus: 0.5, milliCpus: 500 })).toBe(500_000_000);
    expect(nanoCpus({ cpus: 0.001, milliCpus: 1 })).toBe(1_000_000);
    expect(nanoCpus({ cpus: 2.25, milliCpus: 2250 })).toBe(2_250_000_000);
  });

  it('prefers the exact millicores over the double when both are sent', () => {
    expect(nanoCpus({ cpus: 0.3, milliCpus: 300 })).toBe(300_000_000);
  });

  it('falls back to cpus, rounded to the nanocore, when an older controller sends no millicores', () => {
    expect(nanoCpus({ cpus: 0.1 + 0.2, milliCpus: 0 })).toBe(300_000_000);
    expect(nanoCpus({ cpus: 1 })).toBe(1_000_000_000);
  });

  it('sets no limit when neither says anything', () => {
    expect(nanoCpus({ cpus: 0, milliCpus: 0 })).toBeUndefined();
  });
});
