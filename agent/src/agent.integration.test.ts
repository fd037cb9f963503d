import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import type { ContainerSpec, ContainerStatus } from '@berth/proto';
import { startAgent, type RunningAgent } from './agent.ts';
import { SystemHostStats, type HostStats } from './metrics/index.ts';
import { TestController } from './connection/test-controller.testkit.ts';
import { MemoryIdentityStore } from './identity/index.ts';
import { HTTPD_IMAGE, ensureEngineAndImages, freePort, httpBody, removeNodeContainers, uniqueName, waitFor } from './runtime/engine.testkit.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const log = pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' });
const agents: RunningAgent[] = [];
const controllers: TestController[] = [];
const nodes: string[] = [];

beforeAll(ensureEngineAndImages);

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  for (const c of controllers.splice(0)) void c.stop();
  await Promise.all(nodes.splice(0).map(removeNodeContainers));
});

async function setup(): Promise<{ nodeName: string; port: number; spec: ContainerSpec; controller: TestController }> {
  const nodeName = uniqueName('agent');
  nodes.push(nodeName);
  const port = await freePort();
  const spec: ContainerSpec = {
    reservationId: `res-${nodeName}`,
    generation: 1,
    name: `berth-${nodeName}`,
    image: HTTPD_IMAGE,
    cpus: 0.25,
    memoryBytes: 32 * 1024 * 1024,
    ports: [{ name: 'http', containerPort: 80, hostPort: port, hostIp: '127.0.0.1' }],
    env: {},
    profile: 'ephemeral',
    dataPath: '',
  };
  const controller = new TestController({ version: 1, containers: [spec] });
  controllers.push(controller);
  await controller.start(0);
  return { nodeName, port, spec, controller };
}

async function launch(controller: TestController, nodeName: string, resyncIntervalMs = 60_000): Promise<RunningAgent> {
  const agent = await startAgent({
    controller: controller.address,
    joinToken: 'join-secret',
    // The in-process test controller serves plaintext; TLS is covered across processes in test/e2e.
    credentials: grpc.credentials.createInsecure(),
    identity: new MemoryIdentityStore(),
    nodeName,
    address: '127.0.0.1',
    dockerHost: 'unix:///var/run/docker.sock',
    log,
    resyncIntervalMs,
    backoff: { initialMs: 50, maxMs: 500 },
  });
  agents.push(agent);
  return agent;
}

function runningStatus(controller: TestController, reservationId: string, version = 1): ContainerStatus | undefined {
  const report = controller.lastReport();
  if (!report || report.appliedVersion !== version) return undefined;
  return report.containers.find((c) => c.reservationId === reservationId && c.state === 'running');
}

async function nodeContainerIds(nodeName: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`berth.node=${nodeName}`] } });
  return list.map((c) => c.Id);
}

describe('agent against a real controller stream and Docker engine', () => {
  it('registers, converges the desired container, reports it running and sends heartbeats', async () => {
    const { nodeName, port, spec, controller } = await setup();
    await launch(controller, nodeName);

    const status = await waitFor('running report', () => runningStatus(controller, spec.reservationId));
    expect(status.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(status.ports).toEqual([{ name: 'http', containerPort: 80, hostPort: port, hostIp: '127.0.0.1' }]);
    expect(await waitFor('httpd to answer', () => httpBody(`http://127.0.0.1:${port}/`))).toContain('berth ok');

    const [reg] = controller.registrations;
    expect(reg).toMatchObject({ nodeName, address: '127.0.0.1', joinToken: 'join-secret', agentVersion: '0.1.0' });
    expect(reg.cores).toBeGreaterThan(0);
    expect(reg.memoryBytes).toBeGreaterThan(0);
    const beat = await waitFor('a heartbeat', () => controller.heartbeats[0]);
    expect(beat.memoryTotalBytes).toBe(reg.memoryBytes);
    expect(beat.memoryFreeBytes).toBeGreaterThan(0);
    expect(beat.uptimeSeconds).toBeGreaterThan(0);
  });

  it('removes the container when the controller no longer wants it', async () => {
    const { nodeName, spec, controller } = await setup();
    await launch(controller, nodeName);
    await waitFor('running report', () => runningStatus(controller, spec.reservationId));

    controller.setDesired({ version: 2, containers: [] });
    await waitFor('empty report', () => {
      const r = controller.lastReport();
      return r?.appliedVersion === 2 && r.containers.length === 0 ? r : undefined;
    });
    expect(await nodeContainerIds(nodeName)).toEqual([]);
  });

  it('leaves containers running on stop, and a new agent adopts them without duplicates', async () => {
    const { nodeName, port, spec, controller } = await setup();
    const first = await launch(controller, nodeName);
    const before = await waitFor('running report', () => runningStatus(controller, spec.reservationId));
    await first.stop();
    expect(await nodeContainerIds(nodeName)).toEqual([before.containerId]);

    await launch(controller, nodeName);
    // Only a report on the new agent's own stream counts: the old one may still have been in flight.
    const after = await waitFor('report from the new agent', () =>
      controller
        .reportsFrom(2)
        .at(-1)
        ?.containers.find((c) => c.reservationId === spec.reservationId && c.state === 'running'),
    );
    expect(controller.registrations).toHaveLength(2);
    expect(after.containerId).toBe(before.containerId);
    expect(after.startedAtMs).toBe(before.startedAtMs);
    expect(await nodeContainerIds(nodeName)).toEqual([before.containerId]);
    expect(await httpBody(`http://127.0.0.1:${port}/`)).toContain('berth ok');
  });

  it('reconnects and re-registers after the controller goes away and comes back', async () => {
    const { nodeName, spec, controller } = await setup();
    await launch(controller, nodeName);
    const before = await waitFor('running report', () => runningStatus(controller, spec.reservationId));

    controller.stop();
    controller.reports.length = 0;
    await controller.start(controller.port);

    const after = await waitFor('report after reconnect', () => runningStatus(controller, spec.reservationId));
    expect(controller.registrations.length).toBe(2);
    expect(after.containerId).toBe(before.containerId);
  });

  it('reports a crashed container promptly through engine events', async () => {
    const { nodeName, spec, controller } = await setup();
    // A long resync proves the report is driven by the engine's events, not the timer.
    await launch(controller, nodeName, 600_000);
    const before = await waitFor('running report', () => runningStatus(controller, spec.reservationId));

    // Killing the process from the host is a real crash; `docker kill` counts as a manual stop.
    const { State } = await docker.getContainer(before.containerId).inspect();
    process.kill(State.Pid, 'SIGKILL');
    const after = await waitFor('restart reported', () => {
      const s = runningStatus(controller, spec.reservationId);
      return s && s.restartCount > before.restartCount ? s : undefined;
    });
    expect(after.containerId).toBe(before.containerId);
  });

  it('keeps heartbeating, with the engine status, while reading the host hangs', async () => {
    const { nodeName, controller } = await setup();
    const system = new SystemHostStats();
    let reads = 0;
    // Registration gets a real reading; every later read never settles.
    const hanging: HostStats = { read: () => (reads++ === 0 ? system.read() : new Promise(() => {})) };
    agents.push(
      await startAgent({
        controller: controller.address,
        joinToken: 'join-secret',
        credentials: grpc.credentials.createInsecure(),
        identity: new MemoryIdentityStore(),
        nodeName,
        address: '127.0.0.1',
        dockerHost: 'unix:///var/run/docker.sock',
        log,
        hostStats: hanging,
      }),
    );

    const beats = await waitFor('three heartbeats', () => (controller.beats.length >= 3 ? controller.beats : undefined));
    expect(reads).toBeGreaterThan(1);
    for (const beat of beats) {
      expect(beat.metrics).toBe(null);
      expect(beat.engine).toEqual({ available: true, message: '', unavailableSinceMs: 0 });
    }
  });
});
