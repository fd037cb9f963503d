import { describe, expect, it } from 'vitest';
import { indexPlacements, PlacementIndex } from './placement-index.ts';
import { schedule } from './schedule.ts';
import type { NodeCandidate, Placement } from './types.ts';

const H = 3_600_000;
const at = (s: number, e: number, memoryMiB = 100): Placement => ({ start: s * H, end: e * H, milliCores: 1000, memoryMiB });

describe('PlacementIndex', () => {
  it('returns each overlapping placement exactly once, whatever buckets it spans', () => {
    const long = at(0, 50);
    const index = indexPlacements([long, at(10, 11), at(30, 31), at(60, 61)], 6 * H);
    expect(index.overlapping({ start: 5 * H, end: 40 * H })).toEqual([long, at(10, 11), at(30, 31)]);
    expect(index.overlapping({ start: 11 * H, end: 12 * H })).toEqual([long]); // touching is not overlapping
    expect(index.overlapping({ start: 100 * H, end: 200 * H })).toEqual([]);
  });

  it('accepts placements earlier than any seen before', () => {
    const index = new PlacementIndex(H);
    index.add(at(100, 101));
    index.add(at(1, 2));
    expect(index.overlapping({ start: 0, end: 200 * H })).toHaveLength(2);
    expect(index.size).toBe(2);
  });

  it('gives the scheduler the same decisions as the plain placement list', () => {
    const placements = Array.from({ length: 200 }, (_, i) => at(i % 50, (i % 50) + 1 + (i % 7), 50 + (i % 5) * 100));
    const plain: NodeCandidate[] = [0, 1, 2].map((n) => ({
      id: `${n}`,
      name: `n${n}`,
      milliCores: 64000,
      memoryMiB: 4096,
      ready: true,
      cordoned: false,
      placements: placements.filter((_, i) => i % 3 === n),
    }));
    const indexed = plain.map((n) => ({ ...n, index: indexPlacements(n.placements) }));
    for (let s = 0; s < 60; s += 3) {
      const req = { start: s * H, end: (s + 5) * H, milliCores: 1000, memoryMiB: 700 };
      const a = schedule(plain, req);
      const b = schedule(indexed, req);
      expect(b.ok && b.node.name).toBe(a.ok && a.node.name);
      expect(b.rejections).toEqual(a.rejections);
    }
  });
});
