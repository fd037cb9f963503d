import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventRecorder } from '../events/index.ts';
import type { PrismaClient as Db } from '../store/index.ts';
import { DEFAULT_DISRUPTION_POLICY, EvictionLimiter } from './eviction-limiter.ts';
import { type EngineHealth, NodeReconciler, nodeIsolation, nodeReadiness } from './node-reconciler.ts';

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

describe('NodeReconciler', () => {
  function setup() {
    const row = { id: 'n1', name: 'node-1', lastHeartbeat: null as Date | null, status: {} as Record<string, unknown> };
    const reads: number[] = [];
    const ready = new Map<string, boolean>();
    let now = NOW;
    const writes: number[] = [];
    const live = { beatAt: NOW - 1_000, engine: alive as EngineHealth | undefined, protectionsOff: [] as string[] | undefined };
    const db = {
      node: {
        findUnique: async () => (reads.push(now), structuredClone(row)),
        updateMany: async ({ data }: { data: { status: Record<string, unknown> } }) => (writes.push(now), Object.assign(row, data), { count: 1 }),
      },
    } as unknown as Db;
    const reconciler = new NodeReconciler({
      db,
      log: pino({ level: 'silent' }),
      clock: { now: () => now },
      graceMs: GRACE,
      events: { record: () => {} } as unknown as EventRecorder,
      isConnected: () => true,
      live: () => live,
      resumedAt: () => 0,
      setReady: (id, r) => ready.set(id, r),
      readiness: () => ({ notReady: 0, total: 1 }),
      limiter: new EvictionLimiter(DEFAULT_DISRUPTION_POLICY, NOW),
    });
    return { row, reads, writes, ready, live, reconciler, at: (t: number) => (now = t) };
  }

  it('looks at a Ready node whose agent keeps beating again from memory, without reading the store', async () => {
    const t = setup();
    expect(await t.reconciler.reconcile('n1')).toEqual({ requeueAfterMs: GRACE - 1_000 });
    expect(t.reads).toHaveLength(1);
    for (let i = 1; i <= 5; i++) {
      t.at(NOW + i * GRACE);
      t.live.beatAt = NOW + i * GRACE - 500;
      expect(await t.reconciler.reconcile('n1')).toEqual({ requeueAfterMs: GRACE - 500 });
    }
    expect(t.reads).toHaveLength(1);
    expect(t.ready.get('n1')).toBe(true);
  });

  it('reads and writes again as soon as what it sees differs: an engine that died, then a beat gone stale', async () => {
    const t = setup();
    await t.reconciler.reconcile('n1');
    t.live.engine = dead;
    await t.reconciler.reconcile('n1');
    expect(t.reads).toHaveLength(2);
    expect(t.ready.get('n1')).toBe(false);
    expect((t.row.status.conditions as Array<{ type: string; reason: string }>).find((c) => c.type === 'Ready')?.reason).toBe('EngineUnavailable');

    t.live.engine = alive;
    await t.reconciler.reconcile('n1');
    expect(t.ready.get('n1')).toBe(true);
    t.at(NOW + GRACE); // no beat since NOW - 1 s
    await t.reconciler.reconcile('n1');
    expect(t.reads).toHaveLength(4);
    expect(t.ready.get('n1')).toBe(false);
    expect((t.row.status.conditions as Array<{ type: string; reason: string }>).find((c) => c.type === 'Ready')?.reason).toBe('HeartbeatMissed');
  });

  it("decides a joining node on its stream's first beat: nothing read or written before it, Ready and Isolated in one write after", async () => {
    const t = setup();
    // As the hub holds a stream that registered: a beat time, no engine, no protections yet.
    Object.assign(t.live, { beatAt: NOW, engine: undefined, protectionsOff: undefined });
    expect(await t.reconciler.reconcile('n1')).toEqual({ requeueAfterMs: GRACE });
    expect(t.reads).toHaveLength(0);
    expect(t.ready.has('n1')).toBe(false);

    Object.assign(t.live, { beatAt: NOW + 10, engine: alive, protectionsOff: [] });
    t.at(NOW + 10);
    await t.reconciler.reconcile('n1');
    expect(t.writes).toHaveLength(1);
    const conditions = t.row.status.conditions as Array<{ type: string; status: string }>;
    expect(conditions.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Isolated', 'True'],
    ]);
    expect(t.ready.get('n1')).toBe(true);
  });

  it('judges a stream that registered but never beats once a grace period has passed since its registration', async () => {
    const t = setup();
    Object.assign(t.live, { beatAt: NOW, engine: undefined, protectionsOff: undefined });
    await t.reconciler.reconcile('n1');
    t.at(NOW + GRACE);
    await t.reconciler.reconcile('n1');
    expect(t.reads).toHaveLength(1);
    expect(t.ready.get('n1')).toBe(false);
    expect((t.row.status.conditions as Array<{ type: string; reason: string }>).find((c) => c.type === 'Ready')?.reason).toBe('HeartbeatMissed');
  });

  it("decides a stream's first beat on the row its registration wrote, without a read; a note it did not use in time is not trusted", async () => {
    const t = setup();
    t.reconciler.noteWritten(structuredClone(t.row), NOW);
    Object.assign(t.live, { beatAt: NOW + 10, engine: alive, protectionsOff: [] });
    t.at(NOW + 10);
    await t.reconciler.reconcile('n1');
    expect(t.reads).toHaveLength(0);
    expect(t.writes).toHaveLength(1);
    expect(t.ready.get('n1')).toBe(true);

    // Used once: the next look that cannot be answered from memory reads.
    t.live.engine = { available: false, message: 'engine gone' };
    await t.reconciler.reconcile('n1');
    expect(t.reads).toHaveLength(1);

    // A note older than a few seconds (the stream broke before its first beat) is not used.
    const u = setup();
    u.reconciler.noteWritten(structuredClone(u.row), NOW - 10_000);
    await u.reconciler.reconcile('n1');
    expect(u.reads).toHaveLength(1);
  });
});
