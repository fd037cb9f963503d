import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../runtime/engine.testkit.ts';
import { connectToController, type ControllerConnection } from './controller-connection.ts';
import { TestController } from './test-controller.testkit.ts';

let controller: TestController | undefined;
let connection: ControllerConnection | undefined;
afterEach(async () => {
  await connection?.close(100);
  controller?.stop();
});

it('sends the first heartbeat of a stream at registration, not one interval later', async () => {
  // An interval far longer than the wait below: only a beat sent at once can arrive in time.
  controller = new TestController({ version: 1, containers: [] }, 60_000);
  await controller.start();
  connection = connectToController({
    controller: controller.address,
    credentials: () => grpc.credentials.createInsecure(),
    register: () => ({ nodeName: 'first-beat', address: '127.0.0.1', cores: 2, memoryBytes: 1024, joinToken: 'join-secret', agentVersion: 'test' }),
    metrics: async () => ({ memoryTotalBytes: 1024, memoryFreeBytes: 512, load1: 0, load5: 0, load15: 0, uptimeSeconds: 1 }),
    engine: () => ({ available: true, message: '', unavailableSinceMs: 0 }),
    protectionsOff: [],
    onDesired: () => {},
  });
  const beat = await waitFor('the first heartbeat', () => controller!.beats[0], 5_000);
  expect(beat.engine).toEqual({ available: true, message: '', unavailableSinceMs: 0 });
  expect(beat.protectionsOff).toEqual([]);
  expect(controller.beats).toHaveLength(1);
});
