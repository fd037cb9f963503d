import { describe, expect, it } from 'vitest';
import { withLiveHeartbeat } from './live-heartbeat.ts';

const row = { id: 'n', lastHeartbeat: new Date(1000), metrics: { load1: 1 } };

describe('withLiveHeartbeat', () => {
  it('shows the in-memory heartbeat when it is newer than the stored one', () => {
    expect(withLiveHeartbeat(row, { beatAt: 2000, metrics: { load1: 2 } })).toEqual({ id: 'n', lastHeartbeat: new Date(2000), metrics: { load1: 2 } });
  });

  it('keeps the stored row when it is as new, or when nothing is held in memory', () => {
    expect(withLiveHeartbeat(row, { beatAt: 1000, metrics: { load1: 2 } })).toBe(row);
    expect(withLiveHeartbeat(row, undefined)).toBe(row);
  });

  it('keeps the stored metrics for a newer beat that carried none (registration)', () => {
    expect(withLiveHeartbeat(row, { beatAt: 3000, metrics: {} })).toEqual({ id: 'n', lastHeartbeat: new Date(3000), metrics: { load1: 1 } });
  });
});
