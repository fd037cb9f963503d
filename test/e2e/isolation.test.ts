// Tenant isolation on real compute nodes (network namespaces with their own dockerd, real
// iptables, real agents and controller): customers do not reach each other's containers, no
// container reaches the infrastructure, every container is confined, a container cannot fill the
// disk or the log directory, and a big log does not break the node's stream.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation } from '../support/fixtures.ts';
import { removeDir, startAgent, startController, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { publishedAddress } from '../support/host.ts';
import { clientGet, createTopology, type ComputeNode, type Topology } from '../support/topology.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const SLEEPER = 'berth-test/sleeper:1';
const METRICS_PORT = 9101;
const STORAGE_PORT = 2222;
const CAPACITY = { BERTH_CAPACITY_CORES: '8', BERTH_CAPACITY_MEMORY_MIB: '1000' };
// Kernel capability bits (linux/capability.h) of what Berth keeps: CHOWN DAC_OVERRIDE FOWNER
// FSETID KILL SETGID SETUID NET_BIND_SERVICE. NET_RAW (13) is not among them.
const KEPT_CAPS_MASK = '00000000000004fb';

let topo: Topology;
let controller: ControllerProcess;
let alice: ApiClient;
let bob: ApiClient;
let storageAddress: string;
let storageStandIn: Server;
const agents = new Map<string, AgentProcess>();
const chainPrefix = `BI${Math.random().toString(36).slice(2, 8)}`;
let node1: ComputeNode;
let node2: ComputeNode;

const agentEnv = (node: ComputeNode, other: ComputeNode) => ({
  DOCKER_HOST: node.dockerHost,
  BERTH_STATE_DIR: `${node.dir}/state`,
  ...CAPACITY,
  BERTH_METRICS_PORT: String(METRICS_PORT),
  BERTH_METRICS_HOST: '0.0.0.0',
  // The operator's list: the other compute node. The controller, this node and the storage node
  // are protected without being listed.
  BERTH_PROTECTED_NETWORKS: `${other.address}/32`,
  BERTH_STORAGE_CHECK_INTERVAL: '1',
});

function launchAgent(node: ComputeNode, extraEnv: Record<string, string> = {}): AgentProcess {
  const other = topo.nodes.find((n) => n !== node)!;
  const agent = startAgent({
    controller: `${topo.mgmtAddress}:${controller.opts.grpcPort}`,
    joinToken: controller.joinToken,
    nodeName: node.name,
    address: node.address,
    netns: node.netns,
    env: { ...agentEnv(node, other), ...extraEnv },
  });
  agents.set(node.name, agent);
  return agent;
}

function image(name: string, extra: Record<string, unknown> = {}, ref = topo.imageRef) {
  return {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name },
    spec: { ref, ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '64Mi', maxCores: 1, maxMemory: '64Mi' }, ...extra },
  };
}

async function customer(username: string): Promise<ApiClient> {
  const res = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
    username,
    email: `${username}@example.com`,
    password: `Pw-${Buffer.from(username).toString('hex')}`,
  });
  expect(res.status).toBe(201);
  return new ApiClient(controller.url, res.body.token, controller.ca);
}

async function runningOn(client: ApiClient, name: string): Promise<any> {
  return waitFor(
    async () => {
      const { body } = await client.get('reservations', name);
      return body?.status?.phase === 'Running' && body.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True') ? body : undefined;
    },
    { timeoutMs: 60_000, what: `${name} Running and Ready` },
  );
}

async function docker(node: ComputeNode, args: string[], timeout = 30_000): Promise<string> {
  return (await run('docker', ['-H', node.dockerHost, ...args], { timeout, maxBuffer: 64 * 1024 * 1024 })).stdout;
}

async function containerOf(node: ComputeNode, uid: string): Promise<string> {
  const id = (await docker(node, ['ps', '-aq', '--no-trunc', '--filter', `label=berth.reservation=${uid}`])).trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  return id;
}

/** A container in a warm sandbox has the sandbox's network settings: shown here as its own. */
async function inspect(node: ComputeNode, id: string): Promise<any> {
  const info = JSON.parse(await docker(node, ['inspect', id]))[0];
  const sandbox = /^container:(.+)$/.exec(info.HostConfig.NetworkMode)?.[1];
  if (sandbox) info.NetworkSettings = JSON.parse(await docker(node, ['inspect', sandbox]))[0].NetworkSettings;
  return info;
}

const ipOf = (info: any): string => Object.values(info.NetworkSettings.Networks as Record<string, { IPAddress: string }>)[0].IPAddress;
const gatewayOf = (info: any): string => Object.values(info.NetworkSettings.Networks as Record<string, { Gateway: string }>)[0].Gateway;

/** Whether a TCP connection from inside the container goes through (busybox nc: 0 = connected). */
async function containerConnects(node: ComputeNode, id: string, host: string, port: number): Promise<boolean> {
  try {
    await docker(node, ['exec', id, 'nc', '-w', '3', host, String(port)], 10_000);
    return true;
  } catch {
    return false;
  }
}

/** An HTTP GET from inside the container, through nc; the response or ''. */
async function containerGet(node: ComputeNode, id: string, host: string, port: number): Promise<string> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`;
  return docker(node, ['exec', id, 'sh', '-c', request], 10_000).catch(() => '');
}

/** The same connection from the node itself (its network namespace, outside any container). */
async function nodeConnects(node: ComputeNode, host: string, port: number): Promise<boolean> {
  const probe = `const s=require('net').connect(${port},'${host}');s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),3000)`;
  try {
    await run('nsenter', [`--net=/var/run/netns/${node.netns}`, process.execPath, '-e', probe], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * ICMP echo sent from the container's network namespace by a process with raw sockets: the
 * container itself has no NET_RAW, so this is the worst a tenant could send from there.
 */
async function pingFrom(node: ComputeNode, id: string, target: string): Promise<boolean> {
  const pid = (await inspect(node, id)).State.Pid as number;
  try {
    await run('nsenter', [`--net=/proc/${pid}/ns/net`, 'busybox', 'ping', '-c', '1', '-W', '2', target], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function isolationRules(node: ComputeNode): Promise<string[]> {
  const { stdout } = await run('nsenter', [`--net=/var/run/netns/${node.netns}`, 'iptables', '-w', '5', '-S'], { timeout: 10_000 });
  return stdout.split('\n').filter((l) => l.includes('BERTH-ISOLATION'));
}

async function iptablesIn(node: ComputeNode, args: string[]): Promise<string> {
  return (await run('nsenter', [`--net=/var/run/netns/${node.netns}`, 'iptables', '-w', '5', ...args], { timeout: 10_000 })).stdout;
}

async function nodeStatus(name: string): Promise<any> {
  return (await controller.api.get('nodes', name)).body;
}

beforeAll(async () => {
  topo = await createTopology({ nodes: 2, extraImages: [SLEEPER] });
  [node1, node2] = topo.nodes;
  // A stand-in for the storage node: an address of its own on the management host, outside the
  // node network and outside any --protected-networks, with a listener where sshd would be.
  const octet = topo.mgmtAddress.split('.')[1];
  storageAddress = `10.${octet}.2.1`;
  // On the topology's bridge, which teardown removes with its addresses.
  await run('ip', ['addr', 'add', `${storageAddress}/32`, 'dev', `bnt${topo.id}br`]);
  storageStandIn = createServer((s) => s.end());
  await new Promise<void>((resolve) => storageStandIn.listen(STORAGE_PORT, storageAddress, resolve));
  const keyFile = path.join(topo.dir, 'storage-key');
  await writeFile(keyFile, 'not a real key: no remote reservation is made here\n', { mode: 0o600 });
  controller = await startController({
    publicAddress: topo.publicAddress,
    chainPrefix,
    extraArgs: ['--host', '0.0.0.0', '--heartbeat-interval', '1s', '--node-grace', '10s'],
    env: { BERTH_STORAGE_HOST: storageAddress, BERTH_STORAGE_PORT: String(STORAGE_PORT), BERTH_STORAGE_USER: 'berth-admin', BERTH_STORAGE_KEY: keyFile },
  });
  for (const node of topo.nodes) launchAgent(node);
  for (const node of topo.nodes) await waitForNodeReady(controller, node.name, agents.get(node.name));
  for (const img of [
    image('web'),
    image('sleeper', {}, `${topo.registry}/${SLEEPER}`),
    image('bomb', { pidsLimit: 64 }),
    image('disk', { ephemeralStorage: '16Mi' }),
  ]) {
    expect((await controller.api.apply(img)).status).toBe(201);
  }
  alice = await customer('alice');
  bob = await customer('bob');
  // Everything of the first tests on node 1: node 2 takes no new work meanwhile.
  expect((await controller.api.request('POST', `/api/v1/nodes/${node2.name}/cordon`)).status).toBe(200);
  for (const [client, name] of [
    [alice, 'a1'],
    [alice, 'a2'],
    [bob, 'b1'],
  ] as const)
    expect((await client.apply(reservation(name))).status).toBe(201);
  expect((await controller.api.request('POST', `/api/v1/nodes/${node2.name}/uncordon`)).status).toBe(200);
  // And one service on node 2, for the node-to-node check.
  expect((await controller.api.request('POST', `/api/v1/nodes/${node1.name}/cordon`)).status).toBe(200);
  expect((await bob.apply(reservation('w2'))).status).toBe(201);
  expect((await controller.api.request('POST', `/api/v1/nodes/${node1.name}/uncordon`)).status).toBe(200);
}, 300_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop('SIGKILL');
  await controller?.stop();
  await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix }).teardown().catch(() => undefined);
  storageStandIn?.close();
  if (controller) await removeDir(controller.dataDir);
  await topo?.teardown();
}, 120_000);

describe('a network per tenant', () => {
  it("keeps customers apart on one node (TCP and ICMP) while a customer's own containers talk and the outside client still reaches the published endpoint", async () => {
    const [a1, a2, b1] = await Promise.all([runningOn(alice, 'a1'), runningOn(alice, 'a2'), runningOn(bob, 'b1')]);
    for (const r of [a1, a2, b1]) expect(r.status.node).toBe(node1.name);
    const [c1, c2, cb] = await Promise.all([a1, a2, b1].map((r) => containerOf(node1, r.metadata.uid)));
    const [i1, i2, ib] = await Promise.all([c1, c2, cb].map((id) => inspect(node1, id)));
    expect(Object.keys(i1.NetworkSettings.Networks)).toEqual(Object.keys(i2.NetworkSettings.Networks));
    expect(Object.keys(ib.NetworkSettings.Networks)).not.toEqual(Object.keys(i1.NetworkSettings.Networks));
    // No IPv6 path around the IPv4 rules: the network has none and the container's stack is off.
    const network = JSON.parse(await docker(node1, ['network', 'inspect', Object.keys(i1.NetworkSettings.Networks)[0]]))[0];
    expect(network.EnableIPv6).toBe(false);
    expect(await docker(node1, ['exec', c1, 'cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6', '/proc/net/if_inet6'])).toBe('1\n');

    expect(await containerGet(node1, c1, ipOf(i2), 80)).toContain('berth ok');
    expect(await containerGet(node1, c1, ipOf(ib), 80)).toBe('');
    expect(await containerGet(node1, cb, ipOf(i1), 80)).toBe('');
    expect(await pingFrom(node1, c1, ipOf(i2))).toBe(true);
    expect(await pingFrom(node1, c1, ipOf(ib))).toBe(false);
    expect(await docker(node1, ['exec', c1, 'ping', '-c', '1', '-W', '2', ipOf(i2)]).catch((e: { stderr?: string }) => e.stderr ?? '')).toMatch(
      /permission denied/i,
    );

    expect(await clientGet(topo, b1.status.endpoints[0].address)).toContain('berth ok');
  });
});

/** The forwards the agent published in node 1's nat table (its own chain), and how often each hook is there. */
async function portForwards(): Promise<{ rules: string[]; hooks: number[] }> {
  const rules = (await iptablesIn(node1, ['-t', 'nat', '-S', 'BERTH-PORTS'])).split('\n').filter((l) => l.startsWith('-A '));
  const hooks = await Promise.all(
    ['PREROUTING', 'OUTPUT'].map(
      async (chain) => (await iptablesIn(node1, ['-t', 'nat', '-S', chain])).split('\n').filter((l) => l.endsWith('-j BERTH-PORTS')).length,
    ),
  );
  return { rules, hooks };
}

describe('warm sandboxes', () => {
  it("start a customer's next container in a spare on its own network, published by the agent: the outside client and the customer's containers reach it, another customer does not; a restart keeps each forward once; delete removes sandbox and forward", async () => {
    const [a1, b1] = await Promise.all([runningOn(alice, 'a1'), runningOn(bob, 'b1')]);
    const [c1, cb] = await Promise.all([a1, b1].map((r) => containerOf(node1, r.metadata.uid)));
    const aliceNetwork = Object.keys((await inspect(node1, c1)).NetworkSettings.Networks)[0];
    const spares = async () => {
      const onNetwork = await docker(node1, ['ps', '-q', '--no-trunc', '--filter', 'label=berth.sandbox=true', '--filter', `network=${aliceNetwork}`]);
      const joined = await docker(node1, ['ps', '-a', '--filter', 'label=berth.sandbox-id', '--format', '{{.Label "berth.sandbox-id"}}']);
      return onNetwork.split('\n').filter((id) => id && !joined.includes(id));
    };
    await waitFor(async () => (await spares()).length === 1, { timeoutMs: 30_000, what: "a spare sandbox on alice's network" });

    expect((await controller.api.request('POST', `/api/v1/nodes/${node2.name}/cordon`)).status).toBe(200);
    expect((await alice.apply(reservation('a3'))).status).toBe(201);
    expect((await controller.api.request('POST', `/api/v1/nodes/${node2.name}/uncordon`)).status).toBe(200);
    const a3 = await runningOn(alice, 'a3');
    expect(a3.status.node).toBe(node1.name);
    const c3 = await containerOf(node1, a3.metadata.uid);
    const sandbox = /^container:([0-9a-f]{64})$/.exec(JSON.parse(await docker(node1, ['inspect', c3]))[0].HostConfig.NetworkMode)?.[1];
    expect(sandbox).toBeDefined();
    const i3 = await inspect(node1, c3);
    expect(Object.keys(i3.NetworkSettings.Networks)).toEqual([aliceNetwork]);

    // As on a node whose engine turned forwarding on itself (this namespace had it on already):
    // only what a rule accepts is forwarded into the tenant bridges.
    await iptablesIn(node1, ['-P', 'FORWARD', 'DROP']);
    let nodePort = 0;
    try {
      nodePort = await reachedAsPublished(a3, c1, cb, i3);
    } finally {
      await iptablesIn(node1, ['-P', 'FORWARD', 'ACCEPT']);
    }
    expect((await alice.delete('reservations', 'a3')).status).toBe(200);
    await waitFor(async () => !(await docker(node1, ['ps', '-aq', '--no-trunc'])).includes(sandbox!), { timeoutMs: 30_000, what: 'the used sandbox removed' });
    await waitFor(async () => !(await portForwards()).rules.some((l) => l.includes(`--dport ${nodePort} `)), {
      timeoutMs: 30_000,
      what: 'the forward removed',
    });
  });
});

/**
 * a3 through the agent's forwards: from outside, from its customer's container, never from bob's;
 * kept across an agent restart. Returns its node port.
 */
async function reachedAsPublished(a3: any, c1: string, cb: string, i3: any): Promise<number> {
  const endpoint = a3.status.endpoints[0].address;
  expect(await clientGet(topo, endpoint)).toContain('berth ok');
  expect(await containerGet(node1, c1, ipOf(i3), 80)).toContain('berth ok');
  expect(await containerGet(node1, cb, ipOf(i3), 80)).toBe('');
  const nodePort = Number((await publishedAddress(a3.metadata.uid, 80, node1.dockerHost)).split(':')[1]);
  expect(await containerConnects(node1, cb, node1.address, nodePort)).toBe(false);

  const before = await portForwards();
  expect(before.hooks).toEqual([1, 1]);
  expect(before.rules.filter((l) => l.includes(`--dport ${nodePort} `))).toEqual([
    `-A BERTH-PORTS -d ${node1.address}/32 -p tcp -m tcp --dport ${nodePort} -j DNAT --to-destination ${ipOf(i3)}:80`,
  ]);
  await agents.get(node1.name)!.stop('SIGTERM');
  expect(await clientGet(topo, endpoint)).toContain('berth ok'); // the kernel forwards while the agent is down
  await waitForNodeReady(controller, node1.name, launchAgent(node1));
  expect(await portForwards()).toEqual(before);
  expect(await clientGet(topo, endpoint)).toContain('berth ok');
  return nodePort;
}

describe('the infrastructure is off limits to containers', () => {
  it('refuses the controller API and gRPC, the registry, the storage node, the agent metrics and the other compute node', async () => {
    const [a1, w2] = await Promise.all([runningOn(alice, 'a1'), runningOn(bob, 'w2')]);
    expect(w2.status.node).toBe(node2.name);
    const c1 = await containerOf(node1, a1.metadata.uid);
    const gateway = gatewayOf(await inspect(node1, c1));
    // The node port w2 is published on (the node network's path between nodes carries only those).
    const w2Port = Number((await publishedAddress(w2.metadata.uid, 80, node2.dockerHost)).split(':')[1]);
    const [registryHost, registryPort] = topo.registry.split(':');
    const targets: Array<[string, string, number]> = [
      ['controller API', topo.mgmtAddress, controller.opts.port],
      ['controller gRPC', topo.mgmtAddress, controller.opts.grpcPort],
      ['registry', registryHost, Number(registryPort)],
      ['storage node', storageAddress, STORAGE_PORT],
      ['agent metrics on the node address', node1.address, METRICS_PORT],
      ['agent metrics on the network gateway', gateway, METRICS_PORT],
      ['a service published on the other compute node', node2.address, w2Port],
    ];
    const seen = await Promise.all(
      targets.map(async ([what, host, port]) => [what, await nodeConnects(node1, host, port), await containerConnects(node1, c1, host, port)]),
    );
    // Each one answers the node itself: only the container is refused.
    expect(seen).toEqual(targets.map(([what]) => [what, true, false]));
  });

  it("keeps its rules through an agent restart: rebuilt the same, no duplicate hooks, nobody else's rule touched", async () => {
    const before = await isolationRules(node1);
    expect(before.filter((l) => l.startsWith('-A DOCKER-USER') || l.startsWith('-A INPUT'))).toEqual([
      '-A INPUT -j BERTH-ISOLATION-IN',
      '-A DOCKER-USER -j BERTH-ISOLATION',
    ]);
    const foreign = ['-s', '192.0.2.1/32', '-j', 'RETURN'];
    await iptablesIn(node1, ['-I', 'DOCKER-USER', '1', ...foreign]);
    await agents.get(node1.name)!.stop('SIGTERM');
    // While it is down the kernel loses the rules and gains a duplicate hook.
    await iptablesIn(node1, ['-F', 'BERTH-ISOLATION']);
    await iptablesIn(node1, ['-A', 'INPUT', '-j', 'BERTH-ISOLATION-IN']);
    await waitForNodeReady(controller, node1.name, launchAgent(node1));
    await waitFor(async () => JSON.stringify(await isolationRules(node1)) === JSON.stringify(before), { timeoutMs: 20_000, what: 'rules rebuilt' });
    expect(await iptablesIn(node1, ['-S', 'DOCKER-USER'])).toContain('-A DOCKER-USER -s 192.0.2.1/32 -j RETURN');
    await iptablesIn(node1, ['-D', 'DOCKER-USER', ...foreign]);
    const [a1, b1] = await Promise.all([runningOn(alice, 'a1'), runningOn(bob, 'b1')]);
    const c1 = await containerOf(node1, a1.metadata.uid);
    expect(await containerGet(node1, c1, ipOf(await inspect(node1, await containerOf(node1, b1.metadata.uid))), 80)).toBe('');
    expect(await containerConnects(node1, c1, topo.mgmtAddress, controller.opts.grpcPort)).toBe(false);
  });
});

describe('protections left out for a measurement', () => {
  it('show in the node status (Isolated=False naming them) until the agent runs with all of them again', async () => {
    const isolated = async () => (await nodeStatus(node2.name)).status.conditions.find((c: any) => c.type === 'Isolated');
    expect(await isolated()).toMatchObject({ status: 'True', reason: 'AllProtections' });
    await agents.get(node2.name)!.stop('SIGTERM');
    await waitForNodeReady(controller, node2.name, launchAgent(node2, { BERTH_MEASURE_WITHOUT: 'hardening' }));
    await waitFor(async () => (await isolated())?.status === 'False', { timeoutMs: 20_000, what: 'Isolated=False' });
    expect(await isolated()).toMatchObject({ reason: 'ProtectionsOff', message: expect.stringContaining('hardening') });
    const described = await runCli(['describe', 'node', node2.name], { env: controller.cliEnv(controller.api.token) });
    expect(described.stdout).toMatch(/Isolated\s+False\s+ProtectionsOff/);
    expect(described.stdout).toContain('--measure-without): hardening');
    await agents.get(node2.name)!.stop('SIGTERM');
    await waitForNodeReady(controller, node2.name, launchAgent(node2));
    await waitFor(async () => (await isolated())?.status === 'True', { timeoutMs: 20_000, what: 'Isolated=True again' });
  });
});

describe('every container is confined', () => {
  it('runs the test images with the PIDs limit, no-new-privileges, minimal capabilities, no swap and rotated logs, and describe shows it', async () => {
    expect((await alice.apply(reservation('s1', { image: 'sleeper' }))).status).toBe(201);
    const [a1, s1] = await Promise.all([runningOn(alice, 'a1'), runningOn(alice, 's1')]);
    for (const r of [a1, s1]) {
      const node = topo.nodes.find((n) => n.name === r.status.node)!;
      const id = await containerOf(node, r.metadata.uid);
      const info = await inspect(node, id);
      expect(info.State.Running).toBe(true);
      expect(info.HostConfig).toMatchObject({
        PidsLimit: 512,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
        Memory: 64 * 1048576,
        MemorySwap: 64 * 1048576,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      });
      const procStatus = await docker(node, ['exec', id, 'cat', '/proc/1/status']);
      expect(procStatus).toMatch(/^NoNewPrivs:\t1$/m);
      expect(/^CapEff:\t(\w+)$/m.exec(procStatus)![1]).toBe(KEPT_CAPS_MASK);
    }
    const described = await runCli(['describe', 'reservation', 'a1'], { env: controller.cliEnv(alice.token) });
    expect(described.code).toBe(0);
    for (const line of ['pidsLimit: 512', 'noNewPrivileges: true', '- NET_BIND_SERVICE', 'logs: json-file, 3 x 10m', 'limit: 1Gi'])
      expect(described.stdout).toContain(line);
    expect(described.stdout).not.toContain('NET_RAW');
    await alice.delete('reservations', 's1');
  });

  it('holds a fork bomb inside its PIDs limit while the node keeps heartbeating', async () => {
    expect((await alice.apply(reservation('bomb', { image: 'bomb' }))).status).toBe(201);
    const r = await runningOn(alice, 'bomb');
    const node = topo.nodes.find((n) => n.name === r.status.node)!;
    const id = await containerOf(node, r.metadata.uid);
    const cgroup = `/sys/fs/cgroup/pids/docker/${id}`;
    const read = async (file: string) => (await run('cat', [`${cgroup}/${file}`])).stdout.trim();
    expect(await read('pids.max')).toBe('64');
    const heartbeatBefore = Date.parse((await nodeStatus(node.name)).status.lastHeartbeat);
    await docker(node, ['exec', '-d', id, 'sh', '-c', 'b() { b | b & }; b']);
    // The bomb hits the ceiling (the kernel counts refused forks) and never goes through it.
    await waitFor(async () => Number((await read('pids.events')).split(' ')[1]) > 100, { timeoutMs: 30_000, what: 'forks refused at the limit' });
    expect(Number(await read('pids.current'))).toBeLessThanOrEqual(64);
    const during = await waitFor(
      async () => {
        const n = await nodeStatus(node.name);
        return Date.parse(n.status.lastHeartbeat) >= heartbeatBefore + 2000 ? n : undefined;
      },
      { timeoutMs: 20_000, what: 'heartbeats during the fork bomb' },
    );
    expect(during.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    expect(Number(await read('pids.current'))).toBeLessThanOrEqual(64);
    expect((await alice.delete('reservations', 'bomb')).status).toBe(200);
    await waitFor(async () => (await docker(node, ['ps', '-aq', '--filter', `id=${id}`])).trim() === '', { timeoutMs: 60_000, what: 'fork bomb removed' });
  });
});

describe('disk and logs are bounded', () => {
  it('stops a container writing past its ephemeral-storage limit and fails its reservation with EphemeralStorageExceeded; its neighbour keeps running', async () => {
    expect((await alice.apply(reservation('filler', { image: 'disk' }))).status).toBe(201);
    const [filler, a1] = await Promise.all([runningOn(alice, 'filler'), runningOn(alice, 'a1')]);
    const node = topo.nodes.find((n) => n.name === filler.status.node)!;
    const id = await containerOf(node, filler.metadata.uid);
    await docker(node, ['exec', id, 'dd', 'if=/dev/zero', 'of=/tmp/fill', 'bs=1048576', 'count=32']);
    const failed = await waitFor(
      async () => {
        const { body } = await alice.get('reservations', 'filler');
        const ready = body.status.conditions.find((c: any) => c.type === 'Ready');
        return body.status.phase === 'Failed' && ready?.reason === 'EphemeralStorageExceeded' ? ready : undefined;
      },
      { timeoutMs: 40_000, what: 'Failed with EphemeralStorageExceeded' },
    );
    const wrote = /^EphemeralStorageExceeded: the container wrote ([\d.]+)Mi .* over its limit of 16Mi; it was stopped$/.exec(failed.message);
    expect(Number(wrote?.[1])).toBeGreaterThan(16);
    // Failed for good (kubelet's eviction): its container goes with the reservation.
    await waitFor(async () => (await docker(node, ['ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`])).trim() === '', {
      timeoutMs: 30_000,
      what: 'filler removed',
    });

    // The node keeps working and the neighbour never noticed.
    expect((await alice.apply(reservation('after', { image: 'sleeper' }))).status).toBe(201);
    await runningOn(alice, 'after');
    expect((await runningOn(alice, 'a1')).status.startedAt).toBe(a1.status.startedAt);
    expect(await clientGet(topo, a1.status.endpoints[0].address)).toContain('berth ok');
    for (const name of ['filler', 'after']) await alice.delete('reservations', name);
  });

  it("keeps a chatty container's log files within the rotation cap", async () => {
    const a1 = await runningOn(alice, 'a1');
    const id = await containerOf(node1, a1.metadata.uid);
    const logPath = (await inspect(node1, id)).LogPath as string;
    // 40 MB through the container's stdout, more than the 3 x 10m the rotation keeps.
    await docker(
      node1,
      ['exec', id, 'sh', '-c', 'pad=$(head -c 1000 /dev/zero | tr "\\0" x); yes "$pad" | head -c 40000000 > /proc/1/fd/1; echo end-of-flood > /proc/1/fd/1'],
      120_000,
    );
    const logFiles = async () => {
      const dir = path.dirname(logPath);
      const names = (await readdir(dir)).filter((n) => n.startsWith(path.basename(logPath)));
      return Promise.all(names.map(async (n) => (await stat(path.join(dir, n))).size));
    };
    // Measured once the engine has logged the whole flood (its last line is in the current file).
    await waitFor(async () => (await readFile(logPath, 'utf8')).includes('end-of-flood'), { timeoutMs: 60_000, what: 'the flood logged' });
    const sizes = await logFiles();
    expect(sizes).toHaveLength(3);
    const cap = 10 * 1024 * 1024 + 64 * 1024; // a file rotates after the line that crosses 10m
    for (const size of sizes) expect(size).toBeLessThanOrEqual(cap);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3 * cap);
  });
});

describe('logs do not break the node stream', () => {
  it('serves a 6 MB log through berth logs (non-follow) in chunks, and the node stays connected', async () => {
    const b1 = await runningOn(bob, 'b1');
    const id = await containerOf(node1, b1.metadata.uid);
    // 6144 numbered lines of 1 KiB: 6 MiB, past the 4 MiB a single gRPC message may carry.
    await docker(
      node1,
      [
        'exec',
        id,
        'sh',
        '-c',
        'pad=$(head -c 1012 /dev/zero | tr "\\0" x); for i in $(seq 1 6144); do printf "line %05d %s\\n" $i "$pad"; done > /proc/1/fd/1',
      ],
      120_000,
    );
    const agentLog = () => agents.get(node1.name)!.log;
    const reconnectsBefore = (agentLog().match(/controller stream lost/g) ?? []).length;
    const readyBefore = (await nodeStatus(node1.name)).status.conditions.find((c: any) => c.type === 'Ready');
    const env = controller.cliEnv(bob.token);

    const all = await waitFor(
      async () => {
        const out = await runCli(['logs', 'b1', '--tail', '10000'], { env, timeoutMs: 60_000 });
        return out.code === 0 && out.stdout.length >= 6 * 1048576 ? out.stdout : undefined;
      },
      { timeoutMs: 60_000, what: 'the whole 6 MiB log' },
    );
    const lines = all.split('\n').filter(Boolean);
    expect(lines).toHaveLength(6144);
    expect(all.length).toBe(6144 * 1024);
    expect(lines[0].startsWith('line 00001 ')).toBe(true);
    expect(lines.at(-1)!.startsWith('line 06144 ')).toBe(true);

    const tailed = await runCli(['logs', 'b1'], { env, timeoutMs: 60_000 });
    expect(tailed.code).toBe(0);
    const tailLines = tailed.stdout.split('\n').filter(Boolean);
    expect(tailLines).toHaveLength(1000);
    expect(tailLines[0].startsWith('line 05145 ')).toBe(true);

    expect((agentLog().match(/controller stream lost/g) ?? []).length).toBe(reconnectsBefore);
    const readyAfter = (await nodeStatus(node1.name)).status.conditions.find((c: any) => c.type === 'Ready');
    expect(readyAfter).toMatchObject({ status: 'True', lastTransitionTime: readyBefore.lastTransitionTime });
  });
});
