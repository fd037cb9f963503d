import { describe, expect, it } from 'vitest';
import { nodeIsolation, nodeReadiness } from './node-reconciler.ts';

const GRACE = 20_000;
const NOW = 1_000_000;
const dead = { available: false, message: 'connect ECONNREFUSED /run/docker.sock', unavailableSinceMs: NOW - 9_000 };
const alive = { available: true, message: '', unavailableSinceMs: 0 };

describe('nodeReadiness', () => {
  it('is Ready while heartbeats are fresh and the engine is available or unknown', () => {
    for (const engine of [alive, null, undefined]) {
      expect(nodeReadiness(NOW - 1_000, true, NOW, GRACE, engine)).toMatchObject({ type: 'Ready', status: 'True', reason: 'AgentConnected' });
    }
  });

  it('is not Ready, reason EngineUnavailable with the engine message, when a fresh heartbeat says the engine is unavailable', () => {
    expect(nodeReadiness(NOW - 1_000, true, NOW, GRACE, dead)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'EngineUnavailable',
      message: 'container engine unavailable: connect ECONNREFUSED /run/docker.sock',
    });
    // Also while the stream is being re-established: the last word on the engine still holds.
    expect(nodeReadiness(NOW - 1_000, false, NOW, GRACE, dead)).toMatchObject({ status: 'False', reason: 'EngineUnavailable' });
  });

  it('reports missed heartbeats rather than a stale engine status once the grace period is over', () => {
    expect(nodeReadiness(NOW - GRACE, false, NOW, GRACE, dead)).toMatchObject({ status: 'False', reason: 'HeartbeatMissed' });
    expect(nodeReadiness(null, false, NOW, GRACE, dead)).toMatchObject({ status: 'False', reason: 'HeartbeatMissed' });
  });

  it('keeps a reconnecting node Ready within the grace period when its engine is available', () => {
    expect(nodeReadiness(NOW - 5_000, false, NOW, GRACE, alive)).toMatchObject({ status: 'True', reason: 'AgentReconnecting' });
  });
});

describe('nodeIsolation', () => {
  it('says Isolated=False, naming each protection, when the agent leaves protections out', () => {
    expect(nodeIsolation(['hardening', 'network'])).toEqual({
      type: 'Isolated',
      status: 'False',
      reason: 'ProtectionsOff',
      message: "left out for a measurement (--measure-without): hardening, network; this node must not run customers' containers",
    });
  });

  it('says Isolated=True when every protection is in force, and nothing before the first heartbeat', () => {
    expect(nodeIsolation([])).toMatchObject({ type: 'Isolated', status: 'True', reason: 'AllProtections' });
    expect(nodeIsolation(undefined)).toBeUndefined();
  });
});
