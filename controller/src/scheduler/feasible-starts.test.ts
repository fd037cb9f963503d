import { describe, expect, it } from 'vitest';
import { contains, intersect, longestFrom, overloaded, spanOf, startsAvoiding, union } from './feasible-starts.ts';
import { largestSize, offersFrom } from './offers.ts';
import { schedule } from './schedule.ts';
import type { NodeCandidate, Placement } from './types.ts';

const H = 3_600_000;
const at = (s: number, e: number, memoryMiB = 1024, milliCores = 1000): Placement => ({ start: s * H, end: e * H, memoryMiB, milliCores });
const limit = { milliCores: 4000, memoryMiB: 4096 };
const req = (memoryMiB: number, milliCores = 1000) => ({ memoryMiB, milliCores });

describe('overloaded', () => {
  it('finds where usage plus the request exceeds the limit, touching placements counted apart', () => {
    const placements = [at(0, 2, 2048), at(2, 4, 2048), at(1, 3, 1024)];
    // 3 GiB on [1, 3); a 2 GiB request does not fit there only.
    expect(overloaded(placements, { start: 0, end: 10 * H }, limit, req(2048))).toEqual([{ start: H, end: 3 * H }]);
    expect(overloaded(placements, { start: 0, end: 10 * H }, limit, req(1024))).toEqual([]);
  });

  it('checks cores as well as memory, and a request larger than the limit is overloaded everywhere', () => {
    expect(overloaded([at(0, 1, 64, 4000)], { start: 0, end: 2 * H }, limit, req(64, 1))).toEqual([{ start: 0, end: H }]);
    expect(overloaded([], { start: 0, end: 2 * H }, limit, req(8192))).toEqual([{ start: 0, end: 2 * H }]);
  });

  it('merges adjacent overloaded stretches and clips to the span', () => {
    expect(overloaded([at(0, 2, 4096), at(2, 5, 4096)], { start: H, end: 4 * H }, limit, req(1))).toEqual([{ start: H, end: 4 * H }]);
  });
});

describe('startsAvoiding', () => {
  it('rules out exactly the starts whose window touches a busy stretch (ends and starts may touch)', () => {
    const busy = [{ start: 5 * H, end: 6 * H }];
    // A 2h window: starts up to 3h end at 5h (fits), from 6h on it starts after (fits).
    expect(startsAvoiding(busy, 0, 10 * H, 2 * H)).toEqual([
      { from: 0, to: 3 * H },
      { from: 6 * H, to: 10 * H },
    ]);
  });

  it('pushes the earliest start back by a lead taken before the window (public ports, node slots)', () => {
    expect(startsAvoiding([{ start: 0, end: H }], 0, 10 * H, H, 30_000)).toEqual([{ from: H + 30_000, to: 10 * H }]);
  });

  it('returns nothing when the range is busy throughout', () => {
    expect(startsAvoiding([{ start: 0, end: 100 * H }], H, 10 * H, H)).toEqual([]);
  });

  it('agrees with the scheduler at every start on random placements', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 30; round++) {
      const placements = Array.from({ length: 12 }, () => {
        const s = Math.floor(rnd() * 40);
        return at(s, s + 1 + Math.floor(rnd() * 6), 512 * (1 + Math.floor(rnd() * 4)), 500 * (1 + Math.floor(rnd() * 4)));
      });
      const node: NodeCandidate = { id: 'n', name: 'n', ...limit, ready: true, cordoned: false, placements };
      const duration = (1 + Math.floor(rnd() * 5)) * H;
      const r = req(1024, 1000);
      const starts = startsAvoiding(overloaded(placements, spanOf(0, 48 * H, duration), limit, r), 0, 48 * H, duration);
      // Every quarter hour and every edge, plus one millisecond either side of it.
      const probes = new Set<number>();
      for (let t = 0; t <= 48 * H; t += H / 4) probes.add(t);
      for (const p of placements)
        for (const e of [p.start, p.end, p.start - duration]) for (const d of [-1, 0, 1]) if (e + d >= 0 && e + d <= 48 * H) probes.add(e + d);
      for (const s of probes) expect(contains(starts, s), `start ${s / H}h`).toBe(schedule([node], { start: s, end: s + duration, ...r }).ok);
    }
  });
});

describe('interval sets', () => {
  it('intersects, unites (closing gaps of no whole millisecond) and finds members', () => {
    const a = [
      { from: 0, to: 10 },
      { from: 20, to: 30 },
    ];
    const b = [{ from: 5, to: 25 }];
    expect(intersect(a, b)).toEqual([
      { from: 5, to: 10 },
      { from: 20, to: 25 },
    ]);
    expect(union([a, b, [{ from: 31, to: 40 }]])).toEqual([{ from: 0, to: 40 }]);
    expect(union([[{ from: 0, to: 10 }], [{ from: 12, to: 13 }]])).toEqual([
      { from: 0, to: 10 },
      { from: 12, to: 13 },
    ]);
    expect([contains(a, 10), contains(a, 11), contains(a, 20)]).toEqual([true, false, true]);
  });

  it('longestFrom: up to the next busy stretch, 0 when busy at the start or within the lead', () => {
    const busy = [{ start: 5 * H, end: 6 * H }];
    expect(longestFrom(busy, 2 * H)).toBe(3 * H);
    expect(longestFrom(busy, 5 * H)).toBe(0);
    expect(longestFrom(busy, 6 * H)).toBe(Number.POSITIVE_INFINITY);
    expect(longestFrom(busy, 6 * H, 1)).toBe(0);
  });
});

describe('offersFrom', () => {
  it('offers the earliest start of each stretch where some node fits and every limit allows, earliest first', () => {
    const nodes = [
      {
        node: 'a',
        starts: [
          { from: 0, to: 10 },
          { from: 50, to: 60 },
        ],
      },
      { node: 'b', starts: [{ from: 5, to: 20 }] },
    ];
    const ports = [
      { from: 0, to: 3 },
      { from: 8, to: 100 },
    ];
    expect(offersFrom(nodes, [ports], 5)).toEqual([
      { start: 0, latestStart: 3, nodes: ['a'] },
      { start: 8, latestStart: 20, nodes: ['a', 'b'] },
      { start: 50, latestStart: 60, nodes: ['a'] },
    ]);
    expect(offersFrom(nodes, [ports], 1)).toHaveLength(1);
    expect(offersFrom([], [ports], 5)).toEqual([]);
  });
});

describe('largestSize', () => {
  it('keeps the biggest share of the request in its tighter dimension, never more than asked', () => {
    const want = { milliCores: 4000, memoryMiB: 4096 };
    const free = [
      { milliCores: 4000, memoryMiB: 1024 }, // 25 % of the memory
      { milliCores: 2000, memoryMiB: 8192 }, // 50 % of the cores
      { milliCores: 0, memoryMiB: 8192 },
    ];
    expect(largestSize(free, want)).toEqual({ milliCores: 2000, memoryMiB: 4096 });
    expect(largestSize(free, want, 1500)).toEqual({ milliCores: 1500, memoryMiB: 4096 });
    expect(largestSize([{ milliCores: 0, memoryMiB: 10 }], want)).toBeUndefined();
  });
});
