import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { DesiredPublisher } from './desired-publisher.ts';

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
    await db.reservation.create({
      data: {
        name: 'demo',
        activeName: 'demo',
        ownerId: owner.id,
        spec: { image: 'web', duration: '1h', profile: 'ephemeral' },
        imageName: 'web',
        imageSpec: admitted,
        imageGeneration: 1,
        milliCores: 500,
        memoryMiB: 64,
        startAt: new Date(0),
        endAt: new Date(3_600_000),
        nodeId: node.id,
        phase: 'Running',
      },
    });
    const pushed: ContainerSpec[][] = [];
    await new DesiredPublisher({ db, isConnected: () => true, push: (_id, set) => pushed.push(set) }).publish(node.id);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject([{ image: 'berth-test/httpd:1', env: { MODE: 'admitted' }, milliCpus: 500 }]);
  });
});
