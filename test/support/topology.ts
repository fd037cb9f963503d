// A multi-host topology on one machine for cross-namespace tests:
// - the management node is the root namespace (controller, registry, NAT);
// - each compute node is a network namespace on a bridge, with its OWN dockerd;
// - an outside client namespace whose only route is to the public address.
// Every resource carries a unique prefix (PREFIX + id) so a crashed run's leftovers can be found
// and removed by the next one (cleanupLeftovers).
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const PREFIX = 'bnt';
const TOPO_DIR_PREFIX = 'berth-topo-';

export interface ComputeNode {
  name: string; // berth node name
  netns: string;
  address: string; // private address on the node network
  dockerHost: string; // unix://SOCK of its own engine
  dir: string;
}

export interface Topology {
  id: string;
  dir: string;
  mgmtAddress: string; // management address on the node network (registry, NAT source)
  publicAddress: string; // management address on the client-facing link
  registry: string; // HOST:PORT
  clientNetns: string;
  nodes: ComputeNode[];
  /** The test image, pushed to the registry. */
  imageRef: string;
  /** Runs argv inside the client namespace (nsenter, not `ip netns exec`). */
  inClient(argv: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  /** Stops a node's engine (its containers die with it) and takes its link down. */
  killNode(node: ComputeNode): Promise<void>;
  teardown(): Promise<void>;
}

const sh = (cmd: string, args: string[], opts: { timeout?: number; input?: string } = {}) =>
  run(cmd, args, { timeout: opts.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
const quiet = (cmd: string, args: string[]) => sh(cmd, args).catch(() => undefined);

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  if (!(await isAlive(pid))) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(async () => !(await isAlive(pid)), { timeoutMs: graceMs, intervalMs: 100, what: `pid ${pid} to exit` });
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Kills every process still inside a namespace, by pid (containers, shims, stray engines). */
async function killNetnsPids(netns: string): Promise<void> {
  const out = await sh('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }));
  for (const pid of out.stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Unmounts whatever an engine left mounted below dir (overlay layers, shm, netns files). */
async function unmountBelow(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(dir + '/'));
  for (const m of mounts.sort((a, b) => b.length - a.length)) await quiet('umount', ['-l', m]);
}

async function removeTopologyDir(dir: string): Promise<void> {
  for (const pidfile of await listPidfiles(dir)) {
    const pid = await readPid(pidfile);
    if (pid) await stopPid(pid, 15_000);
  }
  await unmountBelow(dir);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

async function listPidfiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listPidfiles(p)));
    else if (entry.name.endsWith('.pid')) found.push(p);
  }
  return found;
}

async function removeNetworking(prefix: string): Promise<void> {
  const { stdout: nsList } = await sh('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  for (const ns of nsList
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix))) {
    await killNetnsPids(ns);
    await quiet('ip', ['netns', 'delete', ns]);
  }
  const { stdout: links } = await sh('ip', ['-o', 'link', 'show']).catch(() => ({ stdout: '' }));
  for (const name of links
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n) => n?.startsWith(prefix))) {
    await quiet('ip', ['link', 'delete', name]);
  }
}

/** Removes what an earlier, crashed run left behind (anything carrying the prefix). */
export async function cleanupLeftovers(): Promise<void> {
  for (const entry of await readdir(os.tmpdir())) {
    if (entry.startsWith(TOPO_DIR_PREFIX)) await removeTopologyDir(path.join(os.tmpdir(), entry));
  }
  await removeNetworking(PREFIX);
}

async function pickOctet(): Promise<number> {
  const { stdout } = await sh('ip', ['-4', '-o', 'addr', 'show']);
  const { stdout: routes } = await sh('ip', ['-4', 'route', 'show']);
  for (let i = 0; i < 50; i++) {
    const o = 150 + Math.floor(Math.random() * 100);
    if (!stdout.includes(` 10.${o}.`) && !routes.includes(`10.${o}.`)) return o;
  }
  throw new Error('no free 10.x.0.0/16 subnet for the test topology');
}

async function startEngine(node: ComputeNode, bip: string, registry: string): Promise<void> {
  const pidfile = path.join(node.dir, 'dockerd.pid');
  const sock = node.dockerHost.slice('unix://'.length);
  const logFd = await import('node:fs').then((fs) => fs.openSync(path.join(node.dir, 'dockerd.log'), 'a'));
  // `ip netns exec` remounts /sys and dockerd then fails on cgroups; nsenter only switches netns.
  const child = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${node.netns}`,
      'dockerd',
      '--data-root',
      path.join(node.dir, 'data'),
      '--exec-root',
      path.join(node.dir, 'exec'),
      '-H',
      `unix://${sock}`,
      '--pidfile',
      pidfile,
      '--bip',
      bip,
      '--insecure-registry',
      registry,
    ],
    { stdio: ['ignore', logFd, logFd], detached: true },
  );
  child.unref();
  await writeFile(path.join(node.dir, 'nsenter.pid'), String(child.pid));
  await waitFor(async () => (await sh('docker', ['-H', node.dockerHost, 'info', '--format', '{{.ID}}'], { timeout: 5000 })).stdout.trim() !== '', {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: `dockerd of ${node.name}`,
    failFast: () => (child.exitCode !== null ? `dockerd of ${node.name} exited; see ${node.dir}/dockerd.log` : undefined),
  });
}

async function startRegistry(dir: string, addr: string): Promise<void> {
  const config = path.join(dir, 'registry.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'registry')}`,
      'http:',
      `  addr: ${addr}`,
      '',
    ].join('\n'),
  );
  const logFd = (await import('node:fs')).openSync(path.join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', logFd, logFd], detached: true });
  child.unref();
  await writeFile(path.join(dir, 'registry.pid'), String(child.pid));
  await waitFor(async () => (await fetch(`http://${addr}/v2/`)).ok, {
    timeoutMs: 20_000,
    what: 'registry /v2/',
    failFast: () => (child.exitCode !== null ? `docker-registry exited; see ${dir}/registry.log` : undefined),
  });
}

/** Copies a local image into the registry through the first node's engine (it trusts the registry). */
async function pushImage(local: string, node: ComputeNode, target: string): Promise<void> {
  const save = spawn('docker', ['save', local], { stdio: ['ignore', 'pipe', 'inherit'] });
  const load = spawn('docker', ['-H', node.dockerHost, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
  save.stdout.pipe(load.stdin);
  await new Promise<void>((resolve, reject) => load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load exited ${code}`)))));
  await sh('docker', ['-H', node.dockerHost, 'tag', local, target]);
  await sh('docker', ['-H', node.dockerHost, 'push', target], { timeout: 120_000 });
  // Removed again so the agents' pulls are real pulls.
  await sh('docker', ['-H', node.dockerHost, 'rmi', target, local]);
}

export interface TopologyOptions {
  nodes?: number;
  image?: string;
  /** More local images to push; each is then at `${registry}/${name}`. */
  extraImages?: string[];
}

export async function createTopology(opts: TopologyOptions = {}): Promise<Topology> {
  await cleanupLeftovers();
  const id = Math.random().toString(36).slice(2, 6);
  const pre = `${PREFIX}${id}`;
  const dir = path.join(os.tmpdir(), `${TOPO_DIR_PREFIX}${id}`);
  await mkdir(dir, { recursive: true });
  const o = await pickOctet();
  const mgmtAddress = `10.${o}.0.1`;
  const publicAddress = `10.${o}.1.1`;
  const registry = `${mgmtAddress}:5000`;
  const clientNetns = `${pre}-cl`;
  const nodes: ComputeNode[] = [];
  const topo: Topology = {
    id,
    dir,
    mgmtAddress,
    publicAddress,
    registry,
    clientNetns,
    nodes,
    imageRef: `${registry}/${opts.image ?? 'berth-test/httpd:1'}`,
    inClient: (argv, timeoutMs = 10_000) => sh('nsenter', [`--net=/var/run/netns/${clientNetns}`, ...argv], { timeout: timeoutMs }),
    killNode: async (node) => {
      // Containers are killed outright (as in a power loss); a graceful stop would wait for them.
      const ids = (await sh('docker', ['-H', node.dockerHost, 'ps', '-q']).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
      if (ids.length) await quiet('docker', ['-H', node.dockerHost, 'kill', ...ids]);
      const pid = await readPid(path.join(node.dir, 'dockerd.pid'));
      if (pid) await stopPid(pid);
      await killNetnsPids(node.netns);
      await quiet('ip', ['link', 'set', `${pre}${node.name.slice(-2)}a`, 'down']);
    },
    teardown: async () => {
      await removeTopologyDir(dir);
      await removeNetworking(pre);
    },
  };
  try {
    await buildNetwork(topo, pre, o, opts.nodes ?? 2);
    await startRegistry(dir, registry);
    for (const [i, node] of nodes.entries()) await startEngine(node, `10.${o}.${100 + i}.1/24`, registry);
    await pushImage(opts.image ?? 'berth-test/httpd:1', nodes[0], topo.imageRef);
    for (const local of opts.extraImages ?? []) await pushImage(local, nodes[0], `${registry}/${local}`);
  } catch (err) {
    await topo.teardown();
    throw err;
  }
  return topo;
}

async function buildNetwork(topo: Topology, pre: string, o: number, count: number): Promise<void> {
  const bridge = `${pre}br`;
  await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${topo.mgmtAddress}/24`, 'dev', bridge]);
  await sh('ip', ['link', 'set', bridge, 'up']);
  for (let n = 1; n <= count; n++) {
    const name = `node-${topo.id}-n${n}`;
    const node: ComputeNode = { name, netns: `${pre}-n${n}`, address: `10.${o}.0.${10 + n}`, dockerHost: '', dir: path.join(topo.dir, `n${n}`) };
    node.dockerHost = `unix://${path.join(node.dir, 'docker.sock')}`;
    await mkdir(node.dir, { recursive: true });
    await addNamespace(node.netns, `${pre}n${n}a`, `${pre}n${n}b`, `${node.address}/24`, topo.mgmtAddress);
    await sh('ip', ['link', 'set', `${pre}n${n}a`, 'master', bridge]);
    await sh('ip', ['link', 'set', `${pre}n${n}a`, 'up']);
    topo.nodes.push(node);
  }
  // The client's only route is its own link: it can reach the public address and nothing else.
  await addNamespace(topo.clientNetns, `${pre}cla`, `${pre}clb`, `10.${o}.1.2/24`, undefined);
  await sh('ip', ['addr', 'add', `${topo.publicAddress}/24`, 'dev', `${pre}cla`]);
  await sh('ip', ['link', 'set', `${pre}cla`, 'up']);
}

async function addNamespace(netns: string, hostSide: string, nsSide: string, cidr: string, gateway: string | undefined): Promise<void> {
  await sh('ip', ['netns', 'add', netns]);
  await sh('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
  await sh('ip', ['link', 'set', nsSide, 'netns', netns]);
  const inNs = (args: string[]) => sh('ip', ['-n', netns, ...args]);
  await inNs(['addr', 'add', cidr, 'dev', nsSide]);
  await inNs(['link', 'set', nsSide, 'up']);
  await inNs(['link', 'set', 'lo', 'up']);
  if (gateway) await inNs(['route', 'add', 'default', 'via', gateway]);
}

/** HTTP GET from the client namespace with curl (busybox wget crashed there); returns the body or throws. */
export async function clientGet(topo: Topology, address: string, timeoutSec = 3): Promise<string> {
  const { stdout } = await topo.inClient(['curl', '-sS', '--fail', '-m', String(timeoutSec), `http://${address}/`], (timeoutSec + 2) * 1000);
  return stdout;
}
