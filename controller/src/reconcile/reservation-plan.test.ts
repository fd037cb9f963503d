import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '@berth/proto';
import { nextDue, planReservation, pullFailureDue, type ReservationState } from './reservation-plan.ts';

const base: ReservationState = {
  id: 'r1',
  phase: 'Scheduled',
  generation: 1,
  startAt: 1000,
  endAt: 5000,
  deletedAt: null,
  startedAt: null,
  conditions: [],
  prepared: false,
};
const running: ContainerStatus = {
  reservationId: 'r1',
  generation: 1,
  containerId: 'c',
  state: 'running',
  health: 'none',
  restartCount: 0,
  message: '',
  startedAtMs: 1100,
  ports: [],
};

describe('planReservation', () => {
  it('waits for the window to open, then starts', () => {
    expect(planReservation(base, {}, 999, 0)).toEqual([]);
    expect(planReservation(base, {}, 1000, 0)).toEqual([{ type: 'start' }]);
  });

  it('prepares the container a lead time before the window opens, once', () => {
    expect(planReservation(base, {}, 499, 500)).toEqual([]);
    expect(planReservation(base, {}, 500, 500)).toEqual([{ type: 'prepare' }]);
    expect(planReservation({ ...base, prepared: true }, {}, 600, 500)).toEqual([]);
    expect(planReservation({ ...base, prepared: true }, {}, 1000, 500)).toEqual([{ type: 'start' }]);
  });

  it('moves to Running when the node reports the container running, recording when it ran', () => {
    const [action] = planReservation({ ...base, phase: 'Starting' }, { container: running }, 1200);
    expect(action).toMatchObject({ type: 'update', phase: 'Running', startedAt: 1100 });
  });

  it('plans nothing once converged', () => {
    const [action] = planReservation({ ...base, phase: 'Starting' }, { container: running }, 1200);
    if (action.type !== 'update') throw new Error('expected update');
    const converged = { ...base, phase: action.phase, conditions: action.conditions, startedAt: 1100 };
    expect(planReservation(converged, { container: running }, 1300)).toEqual([]);
  });

  it('ignores a report for an older generation', () => {
    const [action] = planReservation({ ...base, phase: 'Starting', generation: 2 }, { container: running }, 1200);
    expect(action).toMatchObject({ phase: 'Starting', conditions: [{ reason: 'ContainerCreating' }] });
  });

  it('surfaces failed storage as Ready=False StorageUnavailable with the agent message', () => {
    const waiting: ContainerStatus = {
      ...running,
      containerId: '',
      state: 'failed',
      message: 'storage unavailable: ssh: connect refused',
      mounts: [{ profile: 'remote', source: 'h:/d/r1', target: '/data', state: 'failed', message: 'storage unavailable: ssh: connect refused' }],
    };
    const [action] = planReservation({ ...base, phase: 'Starting' }, { container: waiting }, 1200);
    expect(action).toMatchObject({
      type: 'update',
      phase: 'Starting',
      conditions: [{ type: 'Ready', status: 'False', reason: 'StorageUnavailable', message: 'storage unavailable: ssh: connect refused' }],
    });
  });

  it('surfaces a pull failure as a Ready=False condition with the engine message', () => {
    const failed = { ...running, state: 'pulling', message: 'pull failed: manifest unknown' };
    const [action] = planReservation({ ...base, phase: 'Starting' }, { container: failed }, 1200);
    expect(action).toMatchObject({
      phase: 'Starting',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ImagePullFailed', message: 'pull failed: manifest unknown' }],
    });
  });

  it('keeps phase Running but not Ready when the container stops', () => {
    const stopped = { ...running, state: 'exited' };
    const [action] = planReservation({ ...base, phase: 'Running', startedAt: 1100 }, { container: stopped }, 1500);
    expect(action).toMatchObject({ phase: 'Running', conditions: [{ status: 'False', reason: 'ContainerNotRunning' }] });
  });

  it('expires at the end of the window and ends deleted reservations at the deletion time', () => {
    expect(planReservation({ ...base, phase: 'Running' }, {}, 5000)).toMatchObject([{ type: 'end', phase: 'Expired', at: 5000 }]);
    expect(planReservation({ ...base, deletedAt: 1500 }, {}, 1600)).toMatchObject([{ type: 'end', phase: 'Deleted', at: 1500 }]);
    expect(planReservation({ ...base, phase: 'Expired' }, {}, 9000)).toEqual([]);
  });

  it('is due at the start while scheduled and at the end while active', () => {
    expect(nextDue(base, 300)).toBe(700);
    expect(nextDue({ ...base, prepared: true }, 300)).toBe(1000);
    expect(nextDue({ ...base, phase: 'Running' })).toBe(5000);
    expect(nextDue({ ...base, phase: 'Deleted' })).toBeUndefined();
  });

  it('fails a reservation whose pull keeps failing past the timeout, releasing it', () => {
    const failing = { ...running, state: 'pulling', message: 'pull failed: connection refused' };
    const [first] = planReservation({ ...base, phase: 'Starting' }, { container: failing }, 1200, { pullFailureTimeoutMs: 1000 });
    if (first.type !== 'update') throw new Error('expected update');
    const waiting = { ...base, phase: 'Starting' as const, conditions: first.conditions };
    expect(pullFailureDue(first.conditions, 1000)).toBe(2200);
    expect(planReservation(waiting, { container: failing }, 2199, { pullFailureTimeoutMs: 1000 })).toEqual([]);
    expect(planReservation(waiting, { container: failing }, 2200, { pullFailureTimeoutMs: 1000 })).toMatchObject([
      {
        type: 'end',
        phase: 'Failed',
        reason: 'ImagePullFailed',
        message: expect.stringMatching(/kept failing for 1 s; capacity released: pull failed: connection refused/),
      },
    ]);
    // A pull that recovers in time runs normally.
    expect(planReservation(waiting, { container: running }, 2100, { pullFailureTimeoutMs: 1000 })).toMatchObject([{ type: 'update', phase: 'Running' }]);
  });

  it('fails at once a container stopped for exceeding its ephemeral storage', () => {
    const evicted = { ...running, state: 'exited', message: 'EphemeralStorageExceeded: writable layer 2.1Gi over the 2Gi limit' };
    expect(planReservation({ ...base, phase: 'Running', startedAt: 1100 }, { container: evicted }, 1500)).toMatchObject([
      { type: 'end', phase: 'Failed', reason: 'EphemeralStorageExceeded', message: evicted.message },
    ]);
  });
});
