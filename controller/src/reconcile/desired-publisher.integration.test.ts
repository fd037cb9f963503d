// The desired-set read on a real PostgreSQL: with relation joins it is one statement, and it
// sends exactly what the read without joins sends.
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import { openStore, type Store } from '../store/index.ts';
import { PgDatabases } from '../store/pg-databases.testkit.ts';
import { DesiredPublisher } from './desired-publisher.ts';
import { createReservationRow } from './reservation-rows.testkit.ts';

const databases = new PgDatabases('berth_publish');
let store: Store | undefined;
afterAll(async () => {
  await store?.close();
  await databases.dropAll();
});

describe('DesiredPublisher on PostgreSQL', () => {
  it('reads a node, its reservations and their ports in one statement, and sends what the read without joins sends', async () => {
    store = await openStore({ url: await databases.fresh() });
    const { db } = store;
    const owner = await db.user.create({ data: { username: 'alice' } });
    const node = await db.node.create({ data: { name: 'n1', address: '10.0.0.11', cores: 4, memoryMiB: 4096 } });
    const shape = { ref: 'berth-test/httpd:1', ports: [{ name: 'http', containerPort: 80 }], resources: { cores: 1, memory: '64Mi' } };
    // Running with a port and Scheduled with a port (prepared ahead) are sent; Scheduled without
    // ports and Expired are not.
    const rows: Array<[string, string, number | undefined]> = [
      ['run', 'Running', 31001],
      ['prep', 'Scheduled', 31002],
      ['later', 'Scheduled', undefined],
      ['gone', 'Expired', undefined],
    ];
    for (const [name, phase, nodePort] of rows) {
      const r = await createReservationRow(db, { name, ownerId: owner.id, nodeId: node.id, phase, imageSpec: shape });
      if (nodePort)
        await db.portAllocation.create({ data: { reservationId: r.id, name: 'http', containerPort: 80, nodeId: node.id, nodePort, natPort: nodePort + 1000 } });
    }
    const sent = async (relationJoins: boolean) => {
      const pushed: ContainerSpec[][] = [];
      const before = store!.statements();
      await new DesiredPublisher({ db, isConnected: () => true, push: (_id, set) => pushed.push(set), relationJoins }).publish(node.id);
      return { statements: store!.statements() - before, set: pushed[0] };
    };
    const joined = await sent(true);
    const apart = await sent(false);
    expect(joined.statements).toBe(1);
    expect(apart.statements).toBe(3);
    expect(joined.set.map((c) => [c.name.split('-')[1], c.ports.map((p) => p.hostPort)]).sort()).toEqual([
      ['prep', [31002]],
      ['run', [31001]],
    ]);
    expect(joined.set).toEqual(apart.set);
  });
});
