import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import { nextStart, planConverge } from './plan.ts';
import { specHash } from './spec-hash.ts';

function spec(reservationId: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    reservationId,
    generation: 1,
    name: `berth-${reservationId}`,
    image: 'berth-test/httpd:1',
    cpus: 0.5,
    memoryBytes: 64 * 1024 * 1024,
    ports: [{ name: 'http', containerPort: 80, hostPort: 20001, hostIp: '127.0.0.1' }],
    env: { A: '1' },
    profile: 'ephemeral',
    dataPath: '',
    ...overrides,
  };
}

function observedFor(s: ContainerSpec, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `c-${s.reservationId}`,
    name: s.name,
    image: s.image,
    reservationId: s.reservationId,
    generation: s.generation,
    specHash: specHash(s),
    state: 'running',
    health: 'none',
    restartCount: 0,
    startedAtMs: 1_000,
    ports: s.ports,
    message: '',
    tenant: s.tenant ?? '',
    ephemeralStorageLimitBytes: 0,
    ...overrides,
  };
}

const NOW = 1_000_000;
const present = (...specs: ContainerSpec[]): Set<string> => new Set(specs.map((s) => s.image));

describe('planConverge', () => {
  it('creates a container for a desired reservation that has none', () => {
    const a = spec('a');
    expect(planConverge([a], [], present(a), NOW)).toEqual([{ kind: 'create', spec: a, specHash: specHash(a), start: true }]);
  });

  it('plans nothing when every desired container runs with the current spec', () => {
    const a = spec('a');
    const b = spec('b', { image: 'berth-test/sleeper:1', ports: [] });
    expect(planConverge([a, b], [observedFor(a), observedFor(b)], present(a, b), NOW)).toEqual([]);
  });

  it('removes Berth containers whose reservation is no longer desired', () => {
    const gone = observedFor(spec('gone'));
    expect(planConverge([], [gone], new Set(), NOW)).toEqual([{ kind: 'remove', reservationId: 'gone', containerId: gone.id, reason: 'undesired' }]);
  });

  it('recreates the container when the generation changes, removing before creating', () => {
    const old = spec('a');
    const next = spec('a', { generation: 2 });
    const actions = planConverge([next], [observedFor(old)], present(next), NOW);
    expect(actions).toEqual([
      { kind: 'remove', reservationId: 'a', containerId: 'c-a', reason: 'outdated' },
      { kind: 'create', spec: next, specHash: specHash(next), start: true },
    ]);
  });

  it('recreates the container when the spec changes under the same generation', () => {
    const old = spec('a');
    const next = spec('a', { memoryBytes: 128 * 1024 * 1024 });
    expect(planConverge([next], [observedFor(old)], present(next), NOW).map((a) => a.kind)).toEqual(['remove', 'create']);
  });

  it('keeps the up-to-date running duplicate and removes the others', () => {
    const a = spec('a');
    const stale = observedFor(a, { id: 'c-old', generation: 0, startedAtMs: 5_000 });
    const stopped = observedFor(a, { id: 'c-stopped', state: 'exited', startedAtMs: 9_000 });
    const good = observedFor(a, { id: 'c-good', startedAtMs: 2_000 });
    const actions = planConverge([a], [stale, stopped, good], present(a), NOW);
    expect(actions).toEqual([
      { kind: 'remove', reservationId: 'a', containerId: 'c-stopped', reason: 'duplicate' },
      { kind: 'remove', reservationId: 'a', containerId: 'c-old', reason: 'duplicate' },
    ]);
  });

  it('pulls a missing image once before creating every container that needs it', () => {
    const a = spec('a', { image: 'registry.local/app:2' });
    const b = spec('b', { image: 'registry.local/app:2' });
    const actions = planConverge([a, b], [], new Set(), NOW);
    expect(actions).toEqual([
      { kind: 'pull', image: 'registry.local/app:2', reservationIds: ['a', 'b'] },
      { kind: 'create', spec: a, specHash: specHash(a), start: true },
      { kind: 'create', spec: b, specHash: specHash(b), start: true },
    ]);
  });

  it('does not pull an image that is already present', () => {
    const a = spec('a');
    expect(planConverge([a], [], present(a), NOW).some((x) => x.kind === 'pull')).toBe(false);
  });

  it('starts a current container that was created but never started or was stopped', () => {
    const a = spec('a');
    const b = spec('b');
    const actions = planConverge([a, b], [observedFor(a, { state: 'created' }), observedFor(b, { state: 'exited' })], present(a, b), NOW);
    expect(actions).toEqual([
      { kind: 'start', reservationId: 'a', containerId: 'c-a' },
      { kind: 'start', reservationId: 'b', containerId: 'c-b' },
    ]);
  });

  it('neither creates nor starts a reservation whose storage is not in place', () => {
    const a = spec('a');
    const b = spec('b');
    const blocked = new Set(['a', 'b']);
    expect(planConverge([a, b], [observedFor(b, { state: 'created' })], present(a, b), NOW, blocked)).toEqual([]);
  });

  it('leaves a container stopped for its disk use stopped, but recreates it for a new generation', () => {
    const a = spec('a');
    const stopped = observedFor(a, { state: 'exited' });
    expect(planConverge([a], [stopped], present(a), NOW, new Set(), new Set([stopped.id]))).toEqual([]);
    const next = spec('a', { generation: 2 });
    expect(planConverge([next], [stopped], present(next), NOW, new Set(), new Set([stopped.id])).map((x) => x.kind)).toEqual(['remove', 'create']);
  });

  it('leaves a restarting container to the engine restart policy', () => {
    const a = spec('a');
    expect(planConverge([a], [observedFor(a, { state: 'restarting' })], present(a), NOW)).toEqual([]);
  });

  it('replaces a dead container', () => {
    const a = spec('a');
    expect(planConverge([a], [observedFor(a, { state: 'dead' })], present(a), NOW).map((x) => x.kind)).toEqual(['remove', 'create']);
  });

  it('waits while a container of the reservation is being removed', () => {
    const a = spec('a');
    expect(planConverge([a], [observedFor(a, { state: 'removing', generation: 0 })], present(a), NOW)).toEqual([]);
  });

  it('removes unwanted containers before pulling and recreates after pulling', () => {
    const gone = observedFor(spec('gone'));
    const next = spec('a', { generation: 2, image: 'registry.local/app:3' });
    const actions = planConverge([next], [gone, observedFor(spec('a'))], new Set(), NOW);
    expect(actions.map((x) => `${x.kind}:${'reason' in x ? x.reason : ''}`)).toEqual(['remove:undesired', 'pull:', 'remove:outdated', 'create:']);
  });
});

describe('specHash', () => {
  it('changes with the tenant and the limits, which the engine bakes into the container', () => {
    const a = spec('a', { tenant: 'alice' });
    expect(specHash(spec('a', { tenant: 'bob' }))).not.toBe(specHash(a));
    expect(specHash(spec('a', { tenant: 'alice', pidsLimit: 64 }))).not.toBe(specHash(a));
    expect(specHash(spec('a', { tenant: 'alice', ephemeralStorageBytes: 1 }))).not.toBe(specHash(a));
    // Sending the default explicitly is the same container as leaving it to the agent.
    expect(specHash(spec('a', { tenant: 'alice', pidsLimit: 512 }))).toBe(specHash(a));
  });

  it('does not depend on the order of env keys or ports', () => {
    const a = spec('a', {
      env: { A: '1', B: '2' },
      ports: [
        { name: 'x', containerPort: 1, hostPort: 2, hostIp: '' },
        { name: 'y', containerPort: 3, hostPort: 4, hostIp: '' },
      ],
    });
    const b = spec('a', { env: { B: '2', A: '1' }, ports: [...a.ports].reverse() });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(spec('a', { env: { A: '2', B: '2' }, ports: a.ports })));
  });

  it('creates a container before its window opens without starting it, and starts it once due', () => {
    const a = { ...spec('a'), startAtMs: NOW + 5000 };
    expect(planConverge([a], [], present(a), NOW)).toEqual([{ kind: 'create', spec: a, specHash: specHash(a), start: false }]);
    const prepared = observedFor(a, { state: 'created' });
    expect(planConverge([a], [prepared], present(a), NOW)).toEqual([]);
    expect(planConverge([a], [prepared], present(a), NOW + 5000)).toEqual([{ kind: 'start', reservationId: 'a', containerId: prepared.id }]);
  });

  it('wakes for the earliest future start only', () => {
    const specs = [
      { ...spec('a'), startAtMs: NOW + 9000 },
      { ...spec('b'), startAtMs: NOW + 3000 },
      { ...spec('c'), startAtMs: NOW - 1 },
    ];
    expect(nextStart(specs, NOW)).toBe(NOW + 3000);
    expect(nextStart([spec('d')], NOW)).toBeUndefined();
  });
});
