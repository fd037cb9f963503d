// Several compute nodes behind one public address, across real network namespaces: each node has
// its own dockerd, pulls from the management node's registry, and an outside client that can
// route only to the public address reaches every service through the controller's DNAT.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { removeDir, startAgent, startController, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { dnatRules, httpGetRaw, publishedAddress } from '../support/host.ts';
import { reservation } from '../support/fixtures.ts';
import { clientGet, createTopology, type ComputeNode, type Topology } from '../support/topology.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { formatJoinToken, parseJoinToken } from '@berth/proto';

const run = promisify(execFile);
const GRACE = '3s';
const H = 3_600_000;
// Capacity each agent offers: 8 cores, 1000Mi, so memory decides and the arithmetic is exact.
const CAPACITY = { BERTH_CAPACITY_CORES: '8', BERTH_CAPACITY_MEMORY_MIB: '1000' };

let topo: Topology;
let controller: ControllerProcess;
const agents = new Map<string, AgentProcess>();
const chainPrefix = `BM${Math.random().toString(36).slice(2, 8)}`;

function image(name: string, memory: string) {
  return {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name },
    spec: { ref: topo.imageRef, ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory, maxCores: 1, maxMemory: memory } },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const hourFromNow = (h: number) => iso(Math.ceil(Date.now() / H) * H + h * H);

/** Agents run inside their node's namespace and reach the controller over the node network. */
const agentFacingAddress = () => `${topo.mgmtAddress}:${controller.opts.grpcPort}`;
// Listen beyond loopback so agents in the node namespaces can reach the gRPC port.
const LISTEN_ALL = ['--host', '0.0.0.0'];

function launchAgent(node: ComputeNode, joinToken = controller.joinToken): AgentProcess {
  return startAgent({
    controller: agentFacingAddress(),
    joinToken,
    nodeName: node.name,
    address: node.address,
    netns: node.netns,
    env: { DOCKER_HOST: node.dockerHost, BERTH_STATE_DIR: `${node.dir}/state`, ...CAPACITY },
  });
}

async function nodeReady(name: string): Promise<boolean> {
  const { body } = await controller.api.get('nodes', name);
  return body?.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function reservationWhen(name: string, test: (r: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body && test(body) ? body : undefined;
    },
    { timeoutMs, what: `${name}: ${what}` },
  );
}

const running = (name: string) =>
  reservationWhen(
    name,
    (r) => r.status.phase === 'Running' && r.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'),
    'Running and Ready',
    60_000,
  );

async function containersOn(node: ComputeNode): Promise<string[]> {
  const { stdout } = await run('docker', ['-H', node.dockerHost, 'ps', '-q', '--filter', 'label=berth.reservation']);
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  topo = await createTopology({ nodes: 2 });
  controller = await startController({ publicAddress: topo.publicAddress, chainPrefix, extraArgs: [...LISTEN_ALL, '--node-grace', GRACE] });
  for (const node of topo.nodes) agents.set(node.name, launchAgent(node));
  for (const node of topo.nodes) await waitForNodeReady(controller, node.name, agents.get(node.name));
  expect((await controller.api.apply(image('web', '64Mi'))).status).toBe(201);
  expect((await controller.api.apply(image('big', '700Mi'))).status).toBe(201);
  expect((await controller.api.apply(image('slot', '200Mi'))).status).toBe(201);
}, 240_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop('SIGKILL');
  await controller?.stop();
  await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix }).teardown().catch(() => undefined);
  if (controller) await removeDir(controller.dataDir);
  await topo?.teardown();
}, 120_000);

describe('many compute nodes behind one public address', () => {
  it('lists both nodes with capacity, usage and a Ready condition', async () => {
    const { body } = await controller.api.list('nodes');
    const mine = body.items.filter((n: any) => topo.nodes.some((t) => t.name === n.metadata.name));
    expect(mine).toHaveLength(2);
    for (const n of mine) expect(n).toMatchObject({ spec: { cores: 8 }, status: { capacity: { cores: 8 }, usage: expect.any(Object) } });
    for (const n of mine)
      expect(n).toMatchObject({ status: { conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]) } });
  });

  it('places on the least committed node and the outside client reaches each service through the public address only', async () => {
    expect((await controller.api.apply(reservation('web-a'))).status).toBe(201);
    expect((await controller.api.apply(reservation('web-b'))).status).toBe(201);
    const [a, b] = [await running('web-a'), await running('web-b')];
    expect(a.status.node).not.toBe(b.status.node); // the idle node had the lower RAM ratio
    for (const r of [a, b]) {
      const [endpoint] = r.status.endpoints;
      expect(endpoint.address.startsWith(`${topo.publicAddress}:`)).toBe(true);
      expect(await clientGet(topo, endpoint.address)).toContain('berth ok');
    }
    // The service is on the node's private address, which the client has no route to.
    const node = topo.nodes.find((n) => n.name === a.status.node)!;
    const direct = await publishedAddress(a.metadata.uid, 80, node.dockerHost);
    expect(direct.startsWith(node.address)).toBe(true);
    expect(await httpGetRaw(direct)).toContain('berth ok'); // from the management node it is there
    await expect(clientGet(topo, direct, 1)).rejects.toThrow();
  });

  it('lets disjoint windows share capacity, refuses overlapping ones with 409 naming the window and each node', async () => {
    const w1 = { start: hourFromNow(2), duration: '1h' };
    const first = await controller.api.apply(reservation('big-1', { image: 'big', ...w1 }));
    const second = await controller.api.apply(reservation('big-2', { image: 'big', ...w1 }));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.object.status.node).not.toBe(second.body.object.status.node);

    const refused = await controller.api.apply(reservation('big-3', { image: 'big', ...w1 }));
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('no resources available');
    expect(refused.body.error.message).toContain(w1.start);
    for (const n of topo.nodes) expect(refused.body.error.message).toContain(`${n.name}: memory: 700Mi of 1000Mi already committed in the window`);

    // Touching, not overlapping: the next hour has the whole capacity again.
    const later = await controller.api.apply(reservation('big-3', { image: 'big', start: hourFromNow(3), duration: '1h' }));
    expect(later.status).toBe(201);
  });

  it('admits exactly as many of 50 concurrent applies as fit (10), whatever the interleaving', async () => {
    const window = { start: hourFromNow(10), duration: '1h' };
    const names = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const answers = await Promise.all(names.map((n) => controller.api.apply(reservation(n, { image: 'slot', ...window }))));
    const admitted = answers.filter((a) => a.status === 201);
    expect(admitted).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(40);
    const perNode = new Map<string, number>();
    for (const a of admitted) perNode.set(a.body.object.status.node, (perNode.get(a.body.object.status.node) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([5, 5]);
    const stored = (await controller.api.list('reservations')).body.items.filter((r: any) => r.metadata.name.startsWith('race-'));
    expect(stored).toHaveLength(10);
    for (const a of admitted) expect((await controller.api.delete('reservations', a.body.object.metadata.name)).status).toBe(200);
  });

  it('cordon keeps new work off a node; drain moves its running reservation and the client follows', async () => {
    const b = await running('web-b');
    const from = b.status.node as string;
    const other = topo.nodes.find((n) => n.name !== from)!.name;
    expect((await controller.api.request('POST', `/api/v1/nodes/${other}/cordon`)).status).toBe(200);
    const placed = await controller.api.apply(reservation('web-c'));
    expect(placed.body.object.status.node).toBe(from);
    expect((await controller.api.request('POST', `/api/v1/nodes/${other}/uncordon`)).status).toBe(200);
    await controller.api.delete('reservations', 'web-c');

    const drained = await controller.api.request('POST', `/api/v1/nodes/${from}/drain`);
    expect(drained.status).toBe(200);
    expect(drained.body.node.spec.unschedulable).toBe(true);
    expect(drained.body.drain.rescheduled).toContainEqual({ reservation: 'web-b', node: other });
    // big-1/big-2 both use 700Mi of the same hour: the one on the drained node has nowhere to go.
    expect(drained.body.drain.remaining.map((r: any) => r.reservation)).toHaveLength(1);
    const moved = await reservationWhen('web-b', (r) => r.status.node === other, 'moved');
    const after = await running('web-b');
    expect(after.status.endpoints[0].address).toBe(b.status.endpoints[0].address); // public port kept
    await waitFor(async () => (await clientGet(topo, after.status.endpoints[0].address, 1)).includes('berth ok'), {
      timeoutMs: 20_000,
      what: 'client reaches the new placement',
    });
    expect(moved.status.conditions.find((c: any) => c.type === 'Scheduled').message).toContain('local data');
    expect((await controller.api.request('POST', `/api/v1/nodes/${from}/uncordon`)).status).toBe(200);
  });

  it('pulls on demand from the registry and shows a failed pull as a condition with the engine message', async () => {
    const ghost = { ...image('ghost', '64Mi'), spec: { ...image('ghost', '64Mi').spec, ref: `${topo.registry}/berth-test/missing:1` } };
    expect((await controller.api.apply(ghost)).status).toBe(201);
    expect((await controller.api.apply(reservation('ghost-1', { image: 'ghost' }))).status).toBe(201);
    const failed = await reservationWhen(
      'ghost-1',
      (r) => r.status.conditions.some((c: any) => c.type === 'Ready' && c.reason === 'ImagePullFailed'),
      'ImagePullFailed',
      60_000,
    );
    expect(failed.status.conditions.find((c: any) => c.type === 'Ready').message).toMatch(/missing/);
    expect((await controller.api.delete('reservations', 'ghost-1')).status).toBe(200);
  });

  it('refuses an agent with a wrong join token, logging it on both sides, and the agent keeps retrying', async () => {
    const node = topo.nodes[0];
    // The right certificate fingerprint (it reaches the controller over TLS) with a wrong secret.
    const wrong = formatJoinToken({ fingerprint: parseJoinToken(controller.joinToken)!.fingerprint, secret: 'wrong-secret-0123456789' });
    const intruder = startAgent({
      controller: agentFacingAddress(),
      joinToken: wrong,
      nodeName: 'intruder',
      address: node.address,
      netns: node.netns,
      env: { DOCKER_HOST: node.dockerHost, BERTH_STATE_DIR: `${node.dir}/intruder` },
    });
    try {
      await waitFor(() => controller.log.includes('agent refused: invalid join token'), { timeoutMs: 15_000, what: 'controller refusal log' });
      await waitFor(() => (intruder.log.match(/controller refused this agent/g) ?? []).length >= 2, {
        timeoutMs: 15_000,
        what: 'agent logs the refusal and retries',
      });
      expect(intruder.child.exitCode).toBeNull();
      expect((await controller.api.get('nodes', 'intruder')).status).toBe(404);
    } finally {
      await intruder.stop('SIGKILL');
    }
  });

  it('on node loss: NotReady within the grace period, reservations rescheduled or failed, endpoints follow', async () => {
    const a = await running('web-a');
    const b = await running('web-b');
    expect(a.status.node).toBe(b.status.node); // both on one node since the drain
    const lost = topo.nodes.find((n) => n.name === a.status.node)!;
    const survivor = topo.nodes.find((n) => n !== lost)!;
    // The future big-* reservation on the lost node cannot fit on the survivor: it must fail.
    const bigs = await Promise.all(['big-1', 'big-2'].map(async (n) => (await controller.api.get('reservations', n)).body));
    const bigOnLost = bigs.find((r) => r.status.node === lost.name);
    await agents.get(lost.name)!.stop('SIGKILL');
    agents.delete(lost.name);
    const killedAt = Date.now();
    const engineGone = topo.killNode(lost);
    await waitFor(async () => !(await nodeReady(lost.name)), { timeoutMs: 10_000, intervalMs: 100, what: 'lost node NotReady' });
    expect(Date.now() - killedAt).toBeLessThan(3000 + 2000); // grace + reconcile and poll slack
    await engineGone;

    for (const r of [a, b]) {
      const moved = await reservationWhen(r.metadata.name, (x) => x.status.node === survivor.name, 'rescheduled', 15_000);
      expect(moved.status.phase).not.toBe('Failed');
      const now = await running(r.metadata.name);
      const address = now.status.endpoints[0].address;
      expect(address.startsWith(`${topo.publicAddress}:`)).toBe(true);
      await waitFor(async () => (await clientGet(topo, address, 1)).includes('berth ok'), {
        timeoutMs: 30_000,
        what: `client reaches ${r.metadata.name} on ${survivor.name}`,
      });
    }
    const events = (await controller.api.request('GET', '/api/v1/events?kind=Reservation&name=web-a')).body.items;
    expect(events.some((e: any) => e.reason === 'Rescheduled' && /local data .* did not move/.test(e.message))).toBe(true);
    if (bigOnLost) {
      const failed = await reservationWhen(bigOnLost.metadata.name, (x) => x.status.phase === 'Failed', 'Failed');
      expect(failed.status.conditions.find((c: any) => c.type === 'Ready').message).toMatch(/no other node can take it/);
    }
    expect(await containersOn(survivor)).toHaveLength(2);
  });

  it('after a controller restart: the same rules, the same endpoints, nothing duplicated', async () => {
    const before = await snapshot();
    await controller.stop();
    controller = await startController({
      dataDir: controller.dataDir,
      port: controller.opts.port,
      grpcPort: controller.opts.grpcPort,
      chainPrefix,
      publicAddress: topo.publicAddress,
      extraArgs: [...LISTEN_ALL, '--node-grace', '15s'],
    });
    const survivor = topo.nodes.find((n) => agents.has(n.name))!;
    await waitFor(() => nodeReady(survivor.name), { timeoutMs: 20_000, what: 'survivor reconnects' });
    await controller.api.request('GET', '/api/v1/reservations'); // any request; the reconciler has run at startup
    const after = await snapshot();
    expect(after).toEqual(before);
    for (const address of after.endpoints) expect(await clientGet(topo, address)).toContain('berth ok');
    expect(await containersOn(survivor)).toHaveLength(2);
  });
});

async function snapshot() {
  const items = (await controller.api.list('reservations')).body.items as any[];
  const live = items.filter((r) => !['Failed', 'Deleted', 'Expired'].includes(r.status.phase));
  return {
    reservations: live.map((r) => `${r.metadata.name}@${r.status.node}`).sort(),
    endpoints: live.flatMap((r) => r.status.endpoints.map((e: any) => e.address)).sort(),
    rules: (await dnatRules(chainPrefix)).sort(),
  };
}
