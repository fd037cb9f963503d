// Faults an agent must ride out, with real processes: its engine dies or hangs (the agent keeps
// heartbeating and the controller takes the node out of service), and it must still stop within
// 10 s of SIGTERM when the engine or the controller does not answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDedicatedEngines, startDedicatedEngine, type DedicatedEngine } from '../support/dedicated-engine.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { removeNodeContainers } from '../support/host.ts';
import { webImage, reservation, TEST_IMAGE_REF } from '../support/fixtures.ts';
import { spawn } from 'node:child_process';
import { waitFor } from '../support/wait.ts';

const EXIT_LIMIT_MS = 10_000;

type Condition = { type: string; status: string; reason: string; message: string };
type NodeBody = { status?: { lastHeartbeat?: string; conditions?: Condition[] } };
const readyOf = (node: NodeBody | undefined) => node?.status?.conditions?.find((c) => c.type === 'Ready');

async function nodeWhen(controller: ControllerProcess, name: string, what: string, ok: (n: NodeBody) => boolean, timeoutMs = 30_000): Promise<NodeBody> {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('nodes', name);
      return ok(body) ? (body as NodeBody) : undefined;
    },
    { timeoutMs, what: `node ${name}: ${what}` },
  );
}

/** SIGTERM, then the time until the process is gone; SIGKILL (and a time past the limit) if it hangs on. */
async function timeToExit(agent: AgentProcess): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => {
    timer = setTimeout(() => resolve('overdue'), EXIT_LIMIT_MS + 5_000);
  });
  const result = await Promise.race([agent.stop('SIGTERM'), overdue]);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - started);
  if (result === 'overdue') {
    await agent.stop('SIGKILL');
    return { ms, code: null };
  }
  console.info(`agent ${agent.nodeName} exited ${result} ${ms} ms after SIGTERM`);
  return { ms, code: result };
}

/** An agent on a dedicated engine, Ready on the controller, checking its engine every 500 ms. */
async function agentOnOwnEngine(controller: ControllerProcess, engine: DedicatedEngine, prefix: string): Promise<AgentProcess> {
  const agent = startAgent({
    controller: controller.grpcAddress,
    joinToken: controller.joinToken,
    nodeName: uniqueName(prefix),
    env: { DOCKER_HOST: engine.dockerHost, BERTH_ENGINE_CHECK_INTERVAL_MS: '500' },
  });
  await waitForNodeReady(controller, agent.nodeName, agent);
  return agent;
}

let controller: ControllerProcess;
const engines: DedicatedEngine[] = [];
const agents: AgentProcess[] = [];

beforeAll(async () => {
  await cleanupDedicatedEngines();
  // Heartbeats every second, so a dead engine shows within seconds.
  controller = await startController({ nat: 'userspace', extraArgs: ['--heartbeat-interval', '1s'] });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  for (const e of engines) await e.teardown();
  await controller?.stop();
  if (controller) await removeDir(controller.dataDir);
});

describe('an agent whose engine was killed', () => {
  let engine: DedicatedEngine;
  let agent: AgentProcess;

  beforeAll(async () => {
    engine = await startDedicatedEngine();
    engines.push(engine);
    agent = await agentOnOwnEngine(controller, engine, 'fault-dead');
    agents.push(agent);
    await engine.signal('SIGKILL');
  });

  it('keeps heartbeating, and the controller shows its node Ready=False with reason EngineUnavailable and the engine error', async () => {
    const down = await nodeWhen(controller, agent.nodeName, 'EngineUnavailable', (n) => readyOf(n)?.reason === 'EngineUnavailable');
    expect(readyOf(down)).toMatchObject({ status: 'False', reason: 'EngineUnavailable' });
    expect(readyOf(down)?.message).toMatch(/^container engine unavailable: .*(ECONNREFUSED|ENOENT)/);
    // The beat goes on with the engine dead: the controller records newer heartbeats, and the
    // node stays EngineUnavailable (not HeartbeatMissed).
    const seen = Date.parse(down.status!.lastHeartbeat!);
    const later = await nodeWhen(controller, agent.nodeName, 'a newer heartbeat', (n) => Date.parse(n.status?.lastHeartbeat ?? '') >= seen + 2_000, 15_000);
    expect(readyOf(later)).toMatchObject({ status: 'False', reason: 'EngineUnavailable' });
    expect(agent.child.exitCode).toBe(null);
  });

  it('exits within 10 s of SIGTERM', async () => {
    expect(agent.child.exitCode).toBe(null);
    const { ms, code } = await timeToExit(agent);
    expect(ms).toBeLessThanOrEqual(EXIT_LIMIT_MS);
    expect(code).toBe(0);
  });
});

describe('an agent whose engine hangs (dockerd stopped, its socket accepting but never answering)', () => {
  let agent: AgentProcess;

  beforeAll(async () => {
    const engine = await startDedicatedEngine();
    engines.push(engine);
    agent = await agentOnOwnEngine(controller, engine, 'fault-hung');
    agents.push(agent);
    await engine.signal('SIGSTOP');
  });

  it('has its node marked EngineUnavailable once its bounded pings time out', async () => {
    const down = await nodeWhen(controller, agent.nodeName, 'EngineUnavailable', (n) => readyOf(n)?.reason === 'EngineUnavailable');
    expect(readyOf(down)?.message).toMatch(/^container engine unavailable: the container engine ping took more than \d+ ms$/);
  });

  it('exits within 10 s of SIGTERM although engine calls in flight never return', async () => {
    expect(agent.child.exitCode).toBe(null);
    const { ms, code } = await timeToExit(agent);
    expect(ms).toBeLessThanOrEqual(EXIT_LIMIT_MS);
    expect(code).toBe(0);
  });
});

describe('an agent whose controller is unreachable', () => {
  let own: ControllerProcess;

  beforeAll(async () => {
    own = await startController({ nat: 'userspace' });
  });

  afterAll(async () => {
    own.child.kill('SIGCONT');
    await own.stop('SIGKILL');
    await removeDir(own.dataDir);
  });

  it('exits within 10 s of SIGTERM while its connected controller is frozen (SIGSTOP)', async () => {
    const agent = startAgent({ controller: own.grpcAddress, joinToken: own.joinToken, nodeName: uniqueName('fault-frozen') });
    agents.push(agent);
    await waitForNodeReady(own, agent.nodeName, agent);
    own.child.kill('SIGSTOP');
    const { ms, code } = await timeToExit(agent);
    expect(ms).toBeLessThanOrEqual(EXIT_LIMIT_MS);
    expect(code).toBe(0);
  });

  it('exits within 10 s of SIGTERM while it keeps failing to reach a dead controller', async () => {
    await own.stop('SIGKILL');
    const agent = startAgent({ controller: own.grpcAddress, joinToken: own.joinToken, nodeName: uniqueName('fault-noctl') });
    agents.push(agent);
    // Nothing listens: each connection gRPC opens is refused before any TLS, and the agent backs off.
    await waitFor(() => agent.log.includes('controller stream lost, reconnecting'), {
      timeoutMs: 20_000,
      what: 'the agent failing to reach the controller',
    });
    const { ms, code } = await timeToExit(agent);
    expect(ms).toBeLessThanOrEqual(EXIT_LIMIT_MS);
    expect(code).toBe(0);
  });
});

/** Copies a host image into a dedicated engine (it has no registry to pull from). */
async function loadImage(engine: DedicatedEngine, ref: string): Promise<void> {
  const save = spawn('docker', ['save', ref], { stdio: ['ignore', 'pipe', 'inherit'] });
  const load = spawn('docker', ['-H', engine.dockerHost, 'load'], { stdio: ['pipe', 'ignore', 'inherit'] });
  save.stdout.pipe(load.stdin);
  const code = await new Promise<number | null>((resolve) => load.once('exit', resolve));
  expect(code).toBe(0);
}

describe('a node whose engine dies under a running reservation', () => {
  let own: ControllerProcess;
  let survivor: AgentProcess;
  let doomed: AgentProcess;

  beforeAll(async () => {
    own = await startController({ nat: 'userspace', extraArgs: ['--heartbeat-interval', '1s', '--node-grace', '4s'] });
    const engine = await startDedicatedEngine();
    engines.push(engine);
    await loadImage(engine, TEST_IMAGE_REF);
    doomed = await agentOnOwnEngine(own, engine, 'fault-evac');
    survivor = startAgent({ controller: own.grpcAddress, joinToken: own.joinToken, nodeName: uniqueName('fault-keep'), env: { BERTH_CAPACITY_CORES: '8' } });
    agents.push(doomed, survivor);
    await waitForNodeReady(own, survivor.nodeName, survivor);
  });

  afterAll(async () => {
    await own?.stop();
    // The agent keeps converging its last desired set: it would recreate a removed container.
    await survivor?.stop();
    if (survivor) await removeNodeContainers(survivor.nodeName);
    if (own) await removeDir(own.dataDir);
  });

  it('takes the node out of service and moves the reservation to another node after the grace period', async () => {
    expect((await own.api.apply(webImage('quiet', { ports: [] }))).status).toBe(201);
    // Only the doomed node takes work while the reservation is placed.
    expect((await own.api.request('POST', `/api/v1/nodes/${survivor.nodeName}/cordon`)).status).toBe(200);
    const placed = await own.api.apply(reservation('evac-1', { image: 'quiet' }));
    expect(placed.body.object.status.node).toBe(doomed.nodeName);
    expect((await own.api.request('POST', `/api/v1/nodes/${survivor.nodeName}/uncordon`)).status).toBe(200);
    await waitFor(async () => (await own.api.get('reservations', 'evac-1')).body?.status?.phase === 'Running', { what: 'evac-1 Running on the doomed node' });

    await engines.at(-1)!.signal('SIGKILL');
    const killed = Date.now();
    await nodeWhen(own, doomed.nodeName, 'EngineUnavailable', (n) => readyOf(n)?.reason === 'EngineUnavailable');
    const moved = await waitFor(
      async () => {
        const { body } = await own.api.get('reservations', 'evac-1');
        return body?.status?.node === survivor.nodeName && body.status.phase === 'Running' ? body : undefined;
      },
      { what: 'evac-1 Running on the surviving node', timeoutMs: 30_000 },
    );
    // Grace (4 s) after the engine was seen down, plus detection and the new start.
    expect(Date.now() - killed).toBeLessThan(4_000 + 15_000);
    expect(moved.status.conditions.find((c: Condition) => c.type === 'Scheduled').message).toMatch(/is NotReady: rescheduled to node/);
    expect(doomed.child.exitCode).toBe(null); // the agent itself lives on
  });
});
