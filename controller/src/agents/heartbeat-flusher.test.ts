import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import type { LiveNode } from './agent-hub.ts';
import { HeartbeatFlusher, planFlush } from './heartbeat-flusher.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const beat = (beatAt: number, metrics: Record<string, number> = {}): LiveNode => ({ beatAt, metrics });

describe('planFlush', () => {
  it('groups beats by the second, rounded down, so one statement stores every node of that second', () => {
    const live = new Map([
      ['a', beat(T0 + 100)],
      ['b', beat(T0 + 900)],
      ['c', beat(T0 + 1_500)],
    ]);
    const plan = planFlush(live, new Map(), T0 + 2_000, 60_000);
    expect([...plan.beats]).toEqual([
      [T0, ['a', 'b']],
      [T0 + 1_000, ['c']],
    ]);
  });

  it('plans nothing for a node whose stored second is as new as its beat', () => {
    const live = new Map([['a', beat(T0 + 700, { load1: 1 })]]);
    const plan = planFlush(live, new Map([['a', { beatAt: T0, metricsAt: T0 }]]), T0 + 1_000, 60_000);
    expect(plan).toEqual({ beats: new Map(), metrics: [] });
  });

  it('stores a node’s metrics at most once per metrics interval, and never empty ones', () => {
    const live = new Map([
      ['a', beat(T0 + 5_000, { load1: 2 })],
      ['b', beat(T0 + 5_000, { load1: 3 })],
      ['c', beat(T0 + 5_000)],
    ]);
    const stored = new Map([
      ['a', { beatAt: T0, metricsAt: T0 }],
      ['b', { beatAt: T0, metricsAt: T0 - 60_000 }],
    ]);
    expect(planFlush(live, stored, T0 + 5_000, 60_000).metrics).toEqual([{ id: 'b', metrics: { load1: 3 } }]);
  });
});

describe('HeartbeatFlusher on SQLite', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-beats-'));
    store = await openStore({ dataDir: dir });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores each node’s beat as a lower bound within a second, and its metrics once per interval', async () => {
    const ids: string[] = [];
    for (const name of ['n1', 'n2', 'n3']) {
      ids.push((await store.db.node.create({ data: { name, address: '10.0.0.1', cores: 4, memoryMiB: 4096 } })).id);
    }
    const live = new Map<string, LiveNode>([
      [ids[0], beat(T0 + 250, { load1: 1 })],
      [ids[1], beat(T0 + 999, { load1: 2 })],
      [ids[2], beat(T0 + 3_400, { load1: 3 })],
    ]);
    let now = T0 + 4_000;
    const flusher = new HeartbeatFlusher(
      store.db,
      store.provider,
      () => live,
      10_000,
      pino({ level: 'silent' }),
      () => now,
      60_000,
    );
    await flusher.flush();
    const rows = async () => new Map((await store.db.node.findMany()).map((n) => [n.id, n]));
    let stored = await rows();
    expect(ids.map((id) => stored.get(id)?.lastHeartbeat?.getTime())).toEqual([T0, T0, T0 + 3_000]);
    expect(ids.map((id) => stored.get(id)?.metrics)).toEqual([{ load1: 1 }, { load1: 2 }, { load1: 3 }]);

    // Ten seconds on: new beats are stored, the metrics not yet (their interval is a minute).
    live.set(ids[0], beat(T0 + 12_300, { load1: 9 }));
    now = T0 + 14_000;
    await flusher.flush();
    stored = await rows();
    expect(stored.get(ids[0])?.lastHeartbeat?.getTime()).toBe(T0 + 12_000);
    expect(stored.get(ids[0])?.metrics).toEqual({ load1: 1 });

    now = T0 + 64_000;
    await flusher.flush();
    expect((await rows()).get(ids[0])?.metrics).toEqual({ load1: 9 });
  });
});
