import { describe, expect, it } from 'vitest';
import { peakUsage } from './feasibility.ts';
import { feasibleNodesToFind, schedule } from './schedule.ts';
import type { NodeCandidate, Placement } from './types.ts';

const H = 3_600_000;
function node(name: string, placements: Placement[] = [], extra: Partial<NodeCandidate> = {}): NodeCandidate {
  return { id: name, name, milliCores: 4000, memoryMiB: 4096, ready: true, cordoned: false, placements, ...extra };
}
const at = (startH: number, endH: number, memoryMiB = 1024, cores = 1): Placement => ({
  start: startH * H,
  end: endH * H,
  memoryMiB,
  milliCores: cores * 1000,
});

describe('schedule', () => {
  it('prefers the idle node (minimum RAM ratio)', () => {
    const decision = schedule([node('busy', [at(0, 10, 2048)]), node('idle')], at(1, 2));
    expect(decision.ok && decision.node.name).toBe('idle');
  });

  it('ranks by RAM committed over the window, not at one instant', () => {
    // a: 3Gi for 1h of the 4h window; b: 1Gi for the whole window -> a is less committed overall.
    const a = node('a', [at(0, 1, 3072)]);
    const b = node('b', [at(0, 4, 1024)]);
    const decision = schedule([b, a], at(0, 4, 512));
    expect(decision.ok && decision.node.name).toBe('a');
  });

  it('lets reservations in disjoint windows share capacity', () => {
    const full = node('n', [at(0, 2, 4096, 4)]);
    expect(schedule([full], at(2, 4, 4096, 4)).ok).toBe(true);
  });

  it('refuses overlapping reservations beyond capacity and says why per node', () => {
    const decision = schedule([node('n1', [at(0, 2, 4096)]), node('n2', [], { ready: false }), node('n3', [], { cordoned: true })], at(1, 3));
    expect(decision.ok).toBe(false);
    expect(decision.rejections).toEqual([
      { node: 'n1', reason: 'memory: 4096Mi of 4096Mi already committed in the window, needs 1024Mi more' },
      { node: 'n2', reason: 'node is NotReady' },
      { node: 'n3', reason: 'node is cordoned' },
    ]);
  });

  it('checks cores as well as memory', () => {
    const decision = schedule([node('n', [at(0, 2, 512, 4)])], at(1, 2, 512, 1));
    expect(decision.ok).toBe(false);
    expect(decision.rejections[0].reason).toMatch(/^cores:/);
  });

  it('compares fractions of a core exactly and says them in cores', () => {
    const milli = (startH: number, endH: number, milliCores: number): Placement => ({ start: startH * H, end: endH * H, memoryMiB: 64, milliCores });
    const one = node('one', [milli(0, 2, 100), milli(0, 2, 200)], { milliCores: 1000 });
    // 0.1 + 0.2 + 0.7 is exactly one core (in floating point it is 1.0000000000000002).
    expect(schedule([one], milli(0, 2, 700)).ok).toBe(true);
    expect(schedule([one], milli(0, 2, 750))).toMatchObject({
      ok: false,
      rejections: [{ node: 'one', reason: 'cores: 0.3 of 1 already committed in the window, needs 0.75 more' }],
    });
    expect(schedule([node('small', [], { milliCores: 1000 })], milli(0, 1, 1500))).toMatchObject({
      ok: false,
      rejections: [{ node: 'small', reason: 'needs 1.5 cores, node has 1 core' }],
    });
  });

  it('binpack picks the fullest feasible node and spread the emptiest', () => {
    const nodes = [node('a', [at(0, 4, 2048)]), node('b', [at(0, 4, 512)])];
    const binpack = schedule(nodes, at(0, 4, 512), 'binpack');
    const spread = schedule(nodes, at(0, 4, 512), 'spread');
    expect(binpack.ok && binpack.node.name).toBe('a');
    expect(spread.ok && spread.node.name).toBe('b');
  });
});

describe('peakUsage', () => {
  it('counts only the overlap and treats touching windows as disjoint', () => {
    expect(peakUsage([at(0, 1), at(1, 2)], { start: 0, end: 2 * H })).toEqual({ milliCores: 1000, memoryMiB: 1024 });
    expect(peakUsage([at(0, 2), at(1, 3)], { start: 0, end: 3 * H })).toEqual({ milliCores: 2000, memoryMiB: 2048 });
    expect(peakUsage([at(5, 6)], { start: 0, end: 2 * H })).toEqual({ milliCores: 0, memoryMiB: 0 });
  });
});

describe('a share of a large cluster (kube-scheduler percentageOfNodesToScore)', () => {
  const many = (n: number, extra: (i: number) => Partial<NodeCandidate> = () => ({})) =>
    Array.from({ length: n }, (_, i) => node(`n${String(i).padStart(4, '0')}`, [], extra(i)));

  it('ranks every node of a cluster of up to 100, then a falling share, never under 5 % or 100 nodes', () => {
    expect([1, 50, 100].map(feasibleNodesToFind)).toEqual([1, 50, 100]);
    expect(feasibleNodesToFind(200)).toBe(100); // 49 % would be 98: the floor
    expect(feasibleNodesToFind(1000)).toBe(420); // 42 %
    expect(feasibleNodesToFind(5000)).toBe(500); // 10 %
    expect(feasibleNodesToFind(20_000)).toBe(1000); // 5 %
  });

  it('stops once enough nodes fit, starting where it is told and wrapping around', () => {
    const nodes = many(10);
    const d = schedule(nodes, at(0, 1), 'min-ram-ratio', { from: 8, enough: 3 });
    expect(d.examined).toBe(3);
    expect(d.ok && d.node.name).toBe('n0000'); // n0008, n0009, n0000 examined; equal scores go to the name
  });

  it('counts only feasible nodes toward enough, and examines all when too few fit, saying why for each', () => {
    const nodes = many(6, (i) => (i % 2 ? { ready: false } : {}));
    const d = schedule(nodes, at(0, 1), 'min-ram-ratio', { from: 0, enough: 2 });
    expect(d.examined).toBe(3); // n0000 fits, n0001 NotReady, n0002 fits
    const none = schedule(
      many(4, () => ({ cordoned: true })),
      at(0, 1),
      'min-ram-ratio',
      { from: 2, enough: 1 },
    );
    expect(none.ok).toBe(false);
    expect(none.examined).toBe(4);
    expect(none.rejections.map((r) => r.node)).toEqual(['n0002', 'n0003', 'n0000', 'n0001']);
  });

  it('picks the best of the nodes it examined', () => {
    const nodes = many(5);
    nodes[1].placements = [at(0, 1, 3072)];
    nodes[2].placements = [at(0, 1, 1024)];
    const d = schedule(nodes, at(0, 1), 'min-ram-ratio', { from: 1, enough: 2 });
    expect(d.ok && d.node.name).toBe('n0002');
  });
});
