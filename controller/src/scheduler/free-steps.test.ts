import { describe, expect, it } from 'vitest';
import { freeSteps } from './free-steps.ts';
import { sweepPeak } from './window-stats.ts';

const H = 3_600_000;
const node = { milliCores: 4000, memoryMiB: 8192 };

describe('freeSteps', () => {
  it('is one step of the whole node over an empty range', () => {
    expect(freeSteps(node, [], { start: 0, end: 10 * H })).toEqual([{ start: 0, end: 10 * H, ...node }]);
  });

  it('steps down at each start and up at each end, clipped to the range, merging equal neighbours', () => {
    const placements = [
      { start: -H, end: 2 * H, milliCores: 1000, memoryMiB: 1024 },
      { start: H, end: 3 * H, milliCores: 500, memoryMiB: 512 },
      // Starts as the first ends with the same size: no step at 2h for it.
      { start: 2 * H, end: 4 * H, milliCores: 1000, memoryMiB: 1024 },
      { start: 20 * H, end: 30 * H, milliCores: 4000, memoryMiB: 8192 }, // outside the range
    ];
    expect(freeSteps(node, placements, { start: 0, end: 6 * H })).toEqual([
      { start: 0, end: H, milliCores: 3000, memoryMiB: 7168 },
      { start: H, end: 3 * H, milliCores: 2500, memoryMiB: 6656 },
      { start: 3 * H, end: 4 * H, milliCores: 3000, memoryMiB: 7168 },
      { start: 4 * H, end: 6 * H, ...node },
    ]);
  });

  it('goes negative where a node that shrank is overcommitted', () => {
    const steps = freeSteps({ milliCores: 1000, memoryMiB: 1024 }, [{ start: 0, end: H, milliCores: 2000, memoryMiB: 512 }], { start: 0, end: H });
    expect(steps).toEqual([{ start: 0, end: H, milliCores: -1000, memoryMiB: 512 }]);
  });

  it("agrees with the scheduler's peak: the lowest step in a window is the node minus its peak", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let round = 0; round < 50; round++) {
      const placements = Array.from({ length: 12 }, () => {
        const start = Math.floor(random() * 20) * H;
        return { start, end: start + (1 + Math.floor(random() * 5)) * H, milliCores: 250 * Math.ceil(random() * 4), memoryMiB: 256 * Math.ceil(random() * 4) };
      });
      const w = { start: Math.floor(random() * 10) * H, end: (10 + Math.floor(random() * 15)) * H };
      const steps = freeSteps(node, placements, w);
      const peak = sweepPeak(
        placements.filter((p) => p.start < w.end && w.start < p.end),
        w,
      );
      expect(Math.min(...steps.map((s) => s.milliCores))).toBe(node.milliCores - peak.milliCores);
      expect(Math.min(...steps.map((s) => s.memoryMiB))).toBe(node.memoryMiB - peak.memoryMiB);
      expect(steps[0].start).toBe(w.start);
      expect(steps[steps.length - 1].end).toBe(w.end);
    }
  });
});
