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
import { createQueue, type CreateAttempt, type ServiceContext } from '../services/index.ts';
import { DEFAULT_CONFIG } from '../settings/config.ts';

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

/** Two controllers on one fresh database, a tenant, and one Ready node of 4 cores only the store knows. */
async function twoControllers() {
  const url = await freshDatabase();
  const key = BigInt(Math.floor(Math.random() * 2 ** 40));
  const sides = [await controller(url, key), await controller(url, key)];
  const owner = await sides[0].store.db.user.create({ data: { username: 'tenant', role: 'customer' } });
  await sides[0].store.db.node.create({
    data: {
      id: 'n1',
      name: 'n1',
      address: '10.0.0.1',
      cores: 4,
      memoryMiB: 4096,
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Heartbeat', message: '', lastTransitionTime: new Date(0).toISOString() }] },
    },
  });
  return { sides, owner };
}

describe('AdmissionGuard shared by two controllers on PostgreSQL', () => {
  it('admits exactly what fits when both admit concurrently in bursts', async () => {
    const { sides, owner } = await twoControllers();
    const [a, b] = sides;

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

  it('admits exactly what fits when creates on both are admitted in groups', async () => {
    const { sides, owner } = await twoControllers();
    // The services' context, as far as a create needs it: no quota by default, events dropped.
    const contexts = sides.map(
      ({ store, guard }) =>
        ({
          db: store.db,
          log: pino({ level: 'silent' }),
          clock: { now: () => 0 },
          config: { ...DEFAULT_CONFIG, accounts: { ...DEFAULT_CONFIG.accounts, defaultQuota: {} } },
          admission: guard,
          creates: createQueue(guard),
          events: { record: () => undefined },
        }) as unknown as ServiceContext,
    );
    const attempt = (ctx: ServiceContext, i: number): CreateAttempt => ({
      ctx,
      user: owner,
      m: { kind: 'Reservation', metadata: { name: `r${i}`, labels: {} }, spec: { image: 'x', duration: '1h', profile: 'ephemeral' } as never },
      resolved: {
        r: { rateCentsPerCoreHour: 50, imageGeneration: 1, startAt: 0, endAt: H, milliCores: 1000, memoryMiB: 256 },
        image: { ref: 'x', ports: [], resources: { cores: 1, memory: '256Mi' } } as never,
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => contexts[i % 2].creates.submit(attempt(contexts[i % 2], i))));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'NoResources' });
    expect(await sides[0].store.db.reservation.count()).toBe(4);
  });
});
