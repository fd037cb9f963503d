import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { DesiredPublisher } from './desired-publisher.ts';
import { createReservationRow } from './reservation-rows.testkit.ts';

// A real SQLite store: the publisher's own reads decide which image a node is told to run.
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-publisher-'));
  store = await openTestStore(dir);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DesiredPublisher', () => {
  it('sends the image a reservation was admitted with, not the Image row as an admin edited it since', async () => {
    const { db } = store;
    const admitted = { ref: 'berth-test/httpd:1', ports: [], resources: { cores: 1, memory: '64Mi' }, env: { MODE: 'admitted' } };
    await db.image.create({ data: { name: 'web', spec: { ...admitted, ref: 'berth-test/httpd:2', env: { MODE: 'edited' } }, generation: 2 } });
    const owner = await db.user.create({ data: { username: 'alice' } });
    const node = await db.node.create({ data: { name: 'n1', address: '10.0.0.11', cores: 4, memoryMiB: 4096 } });
    await createReservationRow(db, { name: 'demo', ownerId: owner.id, nodeId: node.id, phase: 'Running', imageSpec: admitted, milliCores: 500 });
    const pushed: ContainerSpec[][] = [];
    await new DesiredPublisher({ db, isConnected: () => true, push: (_id, set) => pushed.push(set) }).publish(node.id);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject([{ image: 'berth-test/httpd:1', env: { MODE: 'admitted' }, milliCpus: 500 }]);
  });

  it('sends each reservation its own ports, and reads no ports for a node that runs nothing', async () => {
    const { db } = store;
    const shape = { ref: 'berth-test/httpd:1', ports: [{ name: 'http', containerPort: 80 }], resources: { cores: 1, memory: '64Mi' } };
    const owner = await db.user.create({ data: { username: 'bob' } });
    const busy = await db.node.create({ data: { name: 'n2', address: '10.0.0.12', cores: 4, memoryMiB: 4096 } });
    const idle = await db.node.create({ data: { name: 'n3', address: '10.0.0.13', cores: 4, memoryMiB: 4096 } });
    for (const [name, nodePort] of [
      ['a', 31001],
      ['b', 31002],
    ] as const) {
      const r = await createReservationRow(db, { name, ownerId: owner.id, nodeId: busy.id, phase: 'Running', imageSpec: shape });
      await db.portAllocation.create({ data: { reservationId: r.id, name: 'http', containerPort: 80, nodeId: busy.id, nodePort, natPort: nodePort + 1000 } });
    }
    const pushed = new Map<string, ContainerSpec[]>();
    const publisher = new DesiredPublisher({ db, isConnected: () => true, push: (id, set) => pushed.set(id, set) });
    await publisher.publish(busy.id);
    const byName = new Map(pushed.get(busy.id)!.map((c) => [c.name, c.ports.map((p) => p.hostPort)]));
    expect([...byName.values()].sort()).toEqual([[31001], [31002]]);

    // The publisher reads nodes, reservations and ports; only the port reads are counted.
    let portReads = 0;
    const findPorts = db.portAllocation.findMany.bind(db.portAllocation) as (...args: unknown[]) => unknown;
    const counting = {
      node: db.node,
      reservation: db.reservation,
      portAllocation: { findMany: (...args: unknown[]) => (portReads++, findPorts(...args)) },
    } as unknown as typeof db;
    await new DesiredPublisher({ db: counting, isConnected: () => true, push: (id, set) => pushed.set(id, set) }).publish(idle.id);
    expect(pushed.get(idle.id)).toEqual([]);
    expect(portReads).toBe(0);
  });
});
