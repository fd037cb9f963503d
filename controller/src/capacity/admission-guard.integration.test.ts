// Two controllers admitting into one real PostgreSQL at once, each with its own in-memory
// capacity index: the sticky advisory lock and the admission sequence must keep them from ever
// overbooking a node, however their bursts interleave.
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AdvisoryMutex } from '../lib/advisory-mutex.ts';
import { openStore, type Store } from '../store/index.ts';
import { PgDatabases } from '../store/pg-databases.testkit.ts';
import { DEFAULT_PORT_RANGES } from '../ports/index.ts';
import { AdmissionGuard } from './admission-guard.ts';

const H = 3_600_000;
const databases = new PgDatabases('berth_guard');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await databases.dropAll();
});

const freshDatabase = () => databases.fresh();

async function controller(url: string, key: bigint): Promise<{ store: Store; guard: AdmissionGuard }> {
  const store = await openStore({ url });
  const mutex = await AdvisoryMutex.connect(url, key, 20);
  const guard = new AdmissionGuard(store, mutex, pino({ level: 'silent' }), DEFAULT_PORT_RANGES, 0, true);
  cleanups.push(async () => {
    await guard.close();
    await store.close();
  });
  return { store, guard };
}

describe('AdmissionGuard shared by two controllers on PostgreSQL', () => {
  it('admits exactly what fits when both admit concurrently in bursts', async () => {
    const url = await freshDatabase();
    const key = BigInt(Math.floor(Math.random() * 2 ** 40));
    const a = await controller(url, key);
    const b = await controller(url, key);
    const owner = await a.store.db.user.create({ data: { username: 'tenant', role: 'customer' } });
    await a.store.db.node.create({
      data: {
        id: 'n1',
        name: 'n1',
        address: '10.0.0.1',
        cores: 4,
        memoryMiB: 4096,
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Heartbeat', message: '', lastTransitionTime: new Date(0).toISOString() }] },
      },
    });

    let n = 0;
    const admitOne = (c: { store: Store; guard: AdmissionGuard }) =>
      c.guard.run(async () => {
        const req = { start: 0, end: H, milliCores: 1000, memoryMiB: 256 };
        const decision = c.guard.capacity.decide(req, 'min-ram-ratio');
        if (!decision.ok) return false;
        const name = `r${n++}`;
        const row = await c.store.db.reservation.create({
          data: {
            name,
            activeName: name,
            ownerId: owner.id,
            spec: {},
            imageName: 'x',
            milliCores: 1000,
            memoryMiB: 256,
            startAt: new Date(0),
            endAt: new Date(H),
            nodeId: decision.node.id,
            phase: 'Scheduled',
          },
        });
        c.guard.commit(row.id, { nodeId: decision.node.id, ...req, publicPorts: 0 });
        return true;
      });
    // The node is only known from the store: each guard loads it when it first takes the lock.
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => admitOne(i % 3 === 0 ? a : b)));

    expect(results.filter(Boolean)).toHaveLength(4);
    expect(await a.store.db.reservation.count()).toBe(4);
    // A later admission on either side still sees the node full.
    expect(await admitOne(a)).toBe(false);
    expect(await admitOne(b)).toBe(false);
  });
});
