import { describe, expect, it } from 'vitest';
import { pickFreePort } from './pick-port.ts';

describe('pickFreePort', () => {
  const range = { min: 10, max: 13 };
  it('returns the first free port from the starting point, wrapping', () => {
    expect(pickFreePort(range, new Set([10, 11]))).toBe(12);
    expect(pickFreePort(range, new Set([13]), 13)).toBe(10);
  });
  it('returns undefined when the range is exhausted', () => {
    expect(pickFreePort(range, new Set([10, 11, 12, 13]))).toBeUndefined();
  });
});
