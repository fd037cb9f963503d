import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import { MetricsRecorder } from './metrics-recorder.ts';
import { nodeHistory } from './node-history.ts';

const M0 = Date.parse('2026-12-01T10:00:00Z');
const GiB = 1024 ** 3;

describe('MetricsRecorder on SQLite', () => {
  let dir: string;
  let store: Store;
  let nodeId: string;
  let now = M0;
  const recorder = () =>
    new MetricsRecorder({ db: store.db, log: pino({ level: 'silent' }), clock: { now: () => now }, staleAfterMs: 3_600_000, sampleIntervalMs: 3_600_000 });
  const beat = async (load1: number) => {
    await store.db.node.update({
      where: { id: nodeId },
      data: { lastHeartbeat: new Date(now), metrics: { memoryTotalBytes: 4 * GiB, memoryFreeBytes: GiB, load1, cpuPercent: load1 * 10 } },
    });
  };
  const minutes = () => store.db.nodeMetric.findMany({ where: { nodeId, resolution: 60 }, orderBy: { at: 'asc' } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-recorder-'));
    store = await openStore({ dataDir: dir });
    nodeId = (await store.db.node.create({ data: { name: 'n1', address: '10.0.0.1', cores: 4, memoryMiB: 4096 } })).id;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('folds a minute in memory, shows it in the history, and stores it once when the minute is over', async () => {
    const r = recorder();
    for (const [offset, load] of [
      [0, 1],
      [20_000, 2],
      [40_000, 3],
    ]) {
      now = M0 + offset;
      await beat(load);
      expect(await r.sample()).toBe(1);
    }
    expect(await minutes()).toEqual([]);
    expect(r.openBucket(nodeId)).toMatchObject({ at: M0, samples: 3, load1: 2 });
    const history = await nodeHistory(store.db, nodeId, 15 * 60_000, now, r.openBucket(nodeId));
    expect(history).toEqual([expect.objectContaining({ at: new Date(M0).toISOString(), load1: 2, memoryTotalMiB: 4096, memoryUsedMiB: 3072 })]);

    now = M0 + 60_000;
    await beat(5);
    await r.sample();
    expect((await minutes()).map((m) => [m.at.getTime(), m.samples, m.load1])).toEqual([[M0, 3, 2]]);
    expect(r.openBucket(nodeId)).toMatchObject({ at: M0 + 60_000, samples: 1, load1: 5 });
    await r.stop();
  });

  it('stores the open minute on stop, and a restarted recorder continues that row instead of starting over', async () => {
    expect((await minutes()).map((m) => [m.at.getTime(), m.samples])).toEqual([
      [M0, 3],
      [M0 + 60_000, 1],
    ]);
    const again = recorder();
    now = M0 + 90_000;
    await beat(7);
    await again.sample();
    expect(again.openBucket(nodeId)).toMatchObject({ at: M0 + 60_000, samples: 2, load1: 6 });
    now = M0 + 125_000;
    await beat(1);
    await again.sample();
    expect((await minutes()).map((m) => [m.at.getTime(), m.samples, m.load1])).toEqual([
      [M0, 3, 2],
      [M0 + 60_000, 2, 6],
    ]);
    await again.stop();
  });

  it('closes the minute of a node that stopped reporting once that minute is over', async () => {
    const r = recorder();
    now = M0 + 200_000;
    await beat(4);
    await r.sample();
    await store.db.node.update({ where: { id: nodeId }, data: { lastHeartbeat: null } }); // silent from here
    now = M0 + 230_000;
    expect(await r.sample()).toBe(0);
    expect(r.openBucket(nodeId)).toMatchObject({ at: M0 + 180_000, samples: 1 });
    now = M0 + 240_000;
    expect(await r.sample()).toBe(0);
    expect(r.openBucket(nodeId)).toBeUndefined();
    expect((await minutes()).at(-1)).toMatchObject({ at: new Date(M0 + 180_000), samples: 1, load1: 4 });
    await r.stop();
  });

  it('reads the stored minutes of a fleet it sees for the first time in one statement, and continues each', async () => {
    now = M0 + 600_000;
    const at = new Date(Math.floor(now / 60_000) * 60_000);
    const fleet = [];
    for (let i = 0; i < 30; i++) {
      const n = await store.db.node.create({
        data: {
          name: `fleet-${i}`,
          address: `10.0.1.${i + 1}`,
          cores: 4,
          memoryMiB: 4096,
          lastHeartbeat: new Date(now),
          metrics: { memoryTotalBytes: 4 * GiB, memoryFreeBytes: GiB, load1: 1, cpuPercent: 10 },
        },
      });
      fleet.push(n.id);
    }
    // What a previous run stored of this minute for every other node.
    const stored = fleet.filter((_, i) => i % 2 === 0);
    await store.db.nodeMetric.createMany({
      data: stored.map((id) => ({ nodeId: id, resolution: 60, at, samples: 4, load1: 3, cpuPercent: 30, memoryTotalMiB: 4096, memoryUsedMiB: 3072 })),
    });
    const r = recorder();
    const before = store.statements();
    await r.sample();
    // The node list, and one read of the stored minutes (nothing is written: the minute is open).
    expect(store.statements() - before).toBe(2);
    for (const id of fleet) expect(r.openBucket(id)).toMatchObject(stored.includes(id) ? { samples: 5, load1: 2.6 } : { samples: 1, load1: 1 });
    await r.stop();
  });
});
