import { describe, expect, it } from 'vitest';
import { peaksEach, sweepPeak } from './window-stats.ts';

const H = 3_600_000;

describe('peaksEach', () => {
  it("gives each window the sweep's own peak, on random placements and windows with gaps and edges that meet", () => {
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let round = 0; round < 200; round++) {
      const hits = Array.from({ length: Math.floor(random() * 15) }, () => {
        const start = Math.floor(random() * 48) * (H / 4);
        return {
          start,
          end: start + (1 + Math.floor(random() * 12)) * (H / 4),
          milliCores: 250 * Math.ceil(random() * 4),
          memoryMiB: 256 * Math.ceil(random() * 4),
        };
      });
      const windows: Array<{ start: number; end: number }> = [];
      for (let t = Math.floor(random() * 8) * (H / 4); t < 14 * H; ) {
        const end = t + (1 + Math.floor(random() * 4)) * (H / 4);
        windows.push({ start: t, end });
        t = end + (random() < 0.2 ? H / 2 : 0);
      }
      const peaks = peaksEach(hits, windows);
      const expected = windows.map((w) =>
        sweepPeak(
          hits.filter((p) => p.start < w.end && w.start < p.end),
          w,
        ),
      );
      expect(peaks.milliCores, `round ${round}`).toEqual(expected.map((p) => p.milliCores));
      expect(peaks.memoryMiB, `round ${round}`).toEqual(expected.map((p) => p.memoryMiB));
    }
  });

  it('counts a placement that ends as the window starts as gone, and one that starts as it ends as not yet there', () => {
    const hits = [
      { start: 0, end: H, milliCores: 1000, memoryMiB: 100 },
      { start: 2 * H, end: 3 * H, milliCores: 2000, memoryMiB: 200 },
    ];
    expect(peaksEach(hits, [{ start: H, end: 2 * H }])).toEqual({ milliCores: [0], memoryMiB: [0] });
  });
});
