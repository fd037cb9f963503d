import { describe, expect, it } from 'vitest';
import type { NodeCandidate, Placement } from '../scheduler/index.ts';
import { planEvacuation, shouldEvacuate, type DisplacedReservation } from './plan-node-loss.ts';

const H = 3_600_000;
const node = (name: string, placements: Placement[] = [], extra: Partial<NodeCandidate> = {}): NodeCandidate => ({
  id: `id-${name}`,
  name,
  milliCores: 4000,
  memoryMiB: 1000,
  ready: true,
  cordoned: false,
  placements,
  ...extra,
});
const displaced = (name: string, startH: number, endH: number, memoryMiB: number): DisplacedReservation => ({
  id: `r-${name}`,
  name,
  startAt: startH * H,
  endAt: endH * H,
  milliCores: 1000,
  memoryMiB,
});

describe('planEvacuation', () => {
  it('moves each reservation to the least committed node that fits its remaining window', () => {
    const plan = planEvacuation({
      displaced: [displaced('a', 0, 4, 300)],
      candidates: [node('lost', [], { ready: false }), node('busy', [{ start: 0, end: 4 * H, milliCores: 1000, memoryMiB: 600 }]), node('idle')],
      strategy: 'min-ram-ratio',
      now: 1 * H,
    });
    expect(plan).toEqual([{ type: 'reschedule', reservationId: 'r-a', name: 'a', toNodeId: 'id-idle', toNodeName: 'idle' }]);
  });

  it('counts its own earlier decisions, failing what no longer fits and saying why per node', () => {
    const plan = planEvacuation({
      displaced: [displaced('second', 5, 6, 700), displaced('first', 4, 6, 700)],
      candidates: [node('only')],
      strategy: 'min-ram-ratio',
      now: 0,
    });
    expect(plan[0]).toMatchObject({ type: 'reschedule', name: 'first', toNodeName: 'only' });
    expect(plan[1]).toEqual({
      type: 'fail',
      reservationId: 'r-second',
      name: 'second',
      reason: 'no other node can take it (only: memory: 700Mi of 1000Mi already committed in the window, needs 700Mi more)',
    });
  });

  it('only needs the rest of the window for a running reservation', () => {
    // 'other' is full during the first hour only; the reservation is already past it.
    const plan = planEvacuation({
      displaced: [displaced('late', 0, 3, 800)],
      candidates: [node('other', [{ start: 0, end: 1 * H, milliCores: 1000, memoryMiB: 900 }])],
      strategy: 'min-ram-ratio',
      now: 2 * H,
    });
    expect(plan[0]).toMatchObject({ type: 'reschedule', toNodeName: 'other' });
  });

  it('plans nothing without displaced reservations and does not change its input', () => {
    const candidates = [node('n')];
    expect(planEvacuation({ displaced: [], candidates, strategy: 'binpack', now: 0 })).toEqual([]);
    planEvacuation({ displaced: [displaced('x', 0, 1, 100)], candidates, strategy: 'binpack', now: 0 });
    expect(candidates[0].placements).toEqual([]);
  });
});

describe('shouldEvacuate', () => {
  it('waits one grace period after the controller starts before moving anything', () => {
    expect(shouldEvacuate(false, 1000, 1000 + 2999, 3000)).toBe(false);
    expect(shouldEvacuate(false, 1000, 1000 + 3000, 3000)).toBe(true);
    expect(shouldEvacuate(true, 0, 1e9, 3000)).toBe(false);
  });
});
