// Trust in the control plane across real network namespaces: compute nodes with their own engines
// join with a bootstrap token, get a node certificate and then speak mutual TLS. Another machine
// holding a valid bootstrap token cannot take a node's name or address, a node hears only its own
// desired set and secrets, its reports about other nodes' reservations are ignored, and a revoked
// node is cut off at once and for good.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { connectToController, MemoryIdentityStore, pinnedCredentials, type ControllerConnection } from '../../agent/src/index.ts';
import { parseJoinToken, type DesiredState } from '@berth/proto';
import { runCli } from '../support/cli.ts';
import { dnatRules } from '../support/host.ts';
import { reservation } from '../support/fixtures.ts';
import { removeDir, startAgent, startController, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { clientGet, createTopology, type ComputeNode, type Topology } from '../support/topology.ts';
import { waitFor } from '../support/wait.ts';

const CAPACITY = { BERTH_CAPACITY_CORES: '4', BERTH_CAPACITY_MEMORY_MIB: '1000' };
const SECRET = 'secret-of-cn1-only-7f3a';

let topo: Topology;
let controller: ControllerProcess;
const agents = new Map<string, AgentProcess>();
const chainPrefix = `BT${Math.random().toString(36).slice(2, 8)}`;
let held: any; // a running reservation on the first node, with a secret in its env

const agentFacingAddress = () => `${topo.mgmtAddress}:${controller.opts.grpcPort}`;
const berth = (args: string[]) => runCli(args, { env: { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') } });
const count = (text: string, what: string) => text.split(what).length - 1;

function launchAgent(node: ComputeNode, o: { name?: string; address?: string; stateDir?: string } = {}): AgentProcess {
  return startAgent({
    controller: agentFacingAddress(),
    joinToken: controller.joinToken,
    nodeName: o.name ?? node.name,
    address: o.address ?? node.address,
    netns: node.netns,
    env: { DOCKER_HOST: node.dockerHost, BERTH_STATE_DIR: o.stateDir ?? `${node.dir}/state`, ...CAPACITY },
  });
}

async function setCordon(name: string, cordoned: boolean): Promise<void> {
  expect((await controller.api.request('POST', `/api/v1/nodes/${name}/${cordoned ? 'cordon' : 'uncordon'}`)).status).toBe(200);
}

async function runningReservation(name: string): Promise<any> {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body?.status?.phase === 'Running' && body.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? body : undefined;
    },
    { timeoutMs: 60_000, what: `${name} Running and Ready` },
  );
}

/** A hostile node: a real gRPC client with a valid bootstrap token and a certificate of its own. */
function spyNode(name: string): { conn: ControllerConnection; desired: DesiredState[]; nodeId: Promise<string> } {
  const address = `127.0.0.1:${controller.opts.grpcPort}`;
  const fingerprint = parseJoinToken(controller.joinToken)!.fingerprint;
  const desired: DesiredState[] = [];
  let conn!: ControllerConnection;
  const nodeId = new Promise<string>((resolve) => {
    conn = connectToController({
      controller: address,
      credentials: (id) => pinnedCredentials(fingerprint, id),
      identity: new MemoryIdentityStore(),
      register: () => ({ nodeName: name, address: '127.0.0.1', cores: 2, memoryBytes: 512 * 2 ** 20, joinToken: controller.joinToken, agentVersion: 'spy' }),
      metrics: async () => ({ memoryTotalBytes: 2 ** 29, memoryFreeBytes: 2 ** 28, load1: 0, load5: 0, load15: 0, uptimeSeconds: 1 }),
      onRegistered: (r) => resolve(r.nodeId),
      onDesired: (d) => desired.push(d),
    });
  });
  return { conn, desired, nodeId };
}

beforeAll(async () => {
  topo = await createTopology({ nodes: 2 });
  controller = await startController({ publicAddress: topo.publicAddress, chainPrefix, extraArgs: ['--host', '0.0.0.0', '--node-grace', '3s'] });
  for (const node of topo.nodes) agents.set(node.name, launchAgent(node));
  for (const node of topo.nodes) await waitForNodeReady(controller, node.name, agents.get(node.name));
  const image = {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: 'web' },
    spec: { ref: topo.imageRef, ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '64Mi', maxCores: 1, maxMemory: '64Mi' } },
  };
  expect((await controller.api.apply(image)).status).toBe(201);
  // The first node's reservation carries a secret; the second node is kept out of the placement.
  await setCordon(topo.nodes[1].name, true);
  expect((await controller.api.apply(reservation('held', { env: { API_KEY: SECRET } }))).status).toBe(201);
  held = await runningReservation('held');
  await setCordon(topo.nodes[1].name, false);
  expect(held.status.node).toBe(topo.nodes[0].name);
}, 240_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop('SIGKILL');
  await controller?.stop();
  await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix }).teardown().catch(() => undefined);
  if (controller) await removeDir(controller.dataDir);
  await topo?.teardown();
}, 120_000);

describe('trust in the control plane', () => {
  it("agents keep their node key private (0600) and join with a certificate from Berth's CA", async () => {
    const dir = `${topo.nodes[0].dir}/state/identity`;
    expect((await stat(`${dir}/node.key`)).mode & 0o777).toBe(0o600);
    expect(agents.get(topo.nodes[0].name)!.log).toContain('node certificate received');
    expect(controller.log).toMatch(new RegExp(`"node":"${topo.nodes[0].name}".*"msg":"node identity issued"`));
  });

  it("refuses a second agent with a valid bootstrap token and an existing node's name; the endpoints stay and the real node keeps serving", async () => {
    const [victim, other] = topo.nodes;
    const rulesBefore = await dnatRules(chainPrefix);
    expect(rulesBefore.join('\n')).toContain(victim.address);
    const intruder = launchAgent(other, { name: victim.name, stateDir: `${other.dir}/intruder` });
    try {
      await waitFor(() => count(intruder.log, 'controller refused this agent') >= 2, { timeoutMs: 20_000, what: 'the intruder refused twice' });
      expect(intruder.log).toContain(`node name \\"${victim.name}\\" belongs to another node identity`);
      expect(controller.log).toContain('agent refused: name held by another identity');
      expect(intruder.child.exitCode).toBeNull(); // it backs off and retries, it does not crash
    } finally {
      await intruder.stop('SIGKILL');
    }
    const node = (await controller.api.get('nodes', victim.name)).body;
    expect(node.spec.address).toBe(victim.address);
    expect(await dnatRules(chainPrefix)).toEqual(rulesBefore);
    expect(await clientGet(topo, held.status.endpoints[0].address)).toContain('berth ok');
    expect(count(controller.log, `"node":"${victim.name}","address":"${other.address}"`)).toBe(0);
  });

  it('refuses an agent that registers an address other than the one it connects from', async () => {
    const [victim, other] = topo.nodes;
    const spoof = launchAgent(other, { name: 'spoof', address: victim.address, stateDir: `${other.dir}/spoof` });
    try {
      await waitFor(() => controller.log.includes('agent refused: address mismatch'), { timeoutMs: 20_000, what: 'the controller refuses the address' });
      await waitFor(() => spoof.log.includes('--agents-behind-nat'), { timeoutMs: 10_000, what: 'the agent is told why' });
    } finally {
      await spoof.stop('SIGKILL');
    }
    expect((await controller.api.get('nodes', 'spoof')).status).toBe(404);
  });

  it("a node receives only its own desired set and secrets, and its reports about another node's reservation are ignored", async () => {
    const spy = spyNode('spy');
    try {
      const spyId = await spy.nodeId;
      // Positive control: with the real nodes cordoned, a reservation lands on the spy and the spy sees its env.
      for (const n of topo.nodes) await setCordon(n.name, true);
      expect((await controller.api.apply(reservation('for-spy', { env: { MINE: 'spy-may-see-this' } }))).status).toBe(201);
      await waitFor(() => spy.desired.some((d) => d.containers.some((c) => c.env.MINE === 'spy-may-see-this')), {
        timeoutMs: 20_000,
        what: 'the spy gets its own reservation',
      });
      expect(JSON.stringify(spy.desired)).not.toContain(SECRET);
      expect(spy.desired.flatMap((d) => d.containers.map((c) => c.reservationId))).not.toContain(held.metadata.uid);

      // A forged report that the first node's container exited: dropped and logged, nothing changes.
      spy.conn.sendReport({
        appliedVersion: 0,
        containers: [
          {
            reservationId: held.metadata.uid,
            generation: held.metadata.generation,
            containerId: 'forged',
            state: 'exited',
            health: 'none',
            restartCount: 9,
            message: 'forged by spy',
            startedAtMs: 0,
            ports: [],
          },
        ],
      });
      await waitFor(() => controller.log.includes('report about reservations not on this node ignored'), {
        timeoutMs: 10_000,
        what: 'the forged report is ignored',
      });
      const after = (await controller.api.get('reservations', 'held')).body;
      expect(after.status.phase).toBe('Running');
      expect(JSON.stringify(after)).not.toContain('forged');
      expect(await clientGet(topo, held.status.endpoints[0].address)).toContain('berth ok');
      const containers = (await controller.api.list('containers')).body;
      expect(JSON.stringify(containers)).not.toContain('forged');
      expect(spyId).toBeTruthy();
    } finally {
      await spy.conn.close(500);
      await controller.api.delete('reservations', 'for-spy');
      for (const n of topo.nodes) await setCordon(n.name, false);
    }
  });

  it("berth node revoke closes the node's stream at once and refuses its reconnects; a fresh join with a token is needed", async () => {
    const node = topo.nodes[1];
    const agent = agents.get(node.name)!;
    const revoked = await berth(['node', 'revoke', node.name]);
    expect([revoked.code, revoked.stdout], revoked.stderr).toEqual([0, `node/${node.name} identity revoked\n`]);
    await waitFor(() => agent.log.includes('its node identity is not accepted'), { timeoutMs: 3_000, what: 'the stream is closed at once' });
    await waitFor(() => count(agent.log, 'its node identity is not accepted') >= 3, { timeoutMs: 30_000, what: 'reconnects refused' });
    expect(agent.log).toContain('was revoked or replaced');
    await waitFor(
      async () => (await controller.api.get('nodes', node.name)).body?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status !== 'True'),
      { timeoutMs: 20_000, what: `${node.name} NotReady` },
    );

    // The operator re-admits the machine: a new key, joined with a bootstrap token.
    await agent.stop('SIGKILL');
    await rm(`${node.dir}/state/identity`, { recursive: true, force: true });
    agents.set(node.name, launchAgent(node));
    await waitForNodeReady(controller, node.name, agents.get(node.name));
  });
});
