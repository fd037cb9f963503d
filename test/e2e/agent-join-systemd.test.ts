// The one-line node join under a real systemd: a Debian 12 system booted with systemd-nspawn
// (test/support/systemd-node.ts) in a compute-node namespace of test/support/topology.ts runs
//   curl -fsS --cacert berth-ca.crt https://MGMT:PORT/install/agent.sh | sh -s -- --token ... --node-name ...
// against a controller started from a build (what serves the agent bundle), and then:
// the unit is enabled and active, the node Ready; `systemctl restart`, a SIGKILLed agent and a
// reboot of the system all bring the agent back by themselves, with its container; the
// uninstaller leaves /etc and /usr/local as they were. Before that, the script's early checks
// each stop it with one line and change nothing.
// The Docker engine is the node's own dockerd of the topology, outside the booted system, its
// socket bound in at /run/docker.sock: inside systemd-nspawn on this hybrid-cgroup host the cgroup
// v1 controllers (memory, cpu, devices, ...) are mounted read-only, so a dockerd inside could not
// create its containers' cgroups. The containers therefore outlive a reboot of the system; what
// the reboot tests is that systemd starts the agent again at boot and that it takes them back.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../agent/src/install/node-flags.ts';
import { buildDist } from '../../scripts/build.ts';
import { reservation } from '../support/fixtures.ts';
import { removeDir, startController, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { BootedSystem } from '../support/systemd-node.ts';
import { createTopology, type ComputeNode, type Topology } from '../support/topology.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST = path.join(ROOT, 'test-artifacts', 'join-dist');
const CA_INSIDE = '/opt/berth-ca.crt'; // readable by anyone, for the not-root check
// What an operator types on the node (the values come as $1..$3).
const ONE_LINE = 'curl -fsS --cacert /opt/berth-ca.crt "$1/install/agent.sh" | sh -s -- --token "$2" --node-name "$3"';

let topo: Topology;
let node: ComputeNode;
let controller: ControllerProcess;
let sys: BootedSystem;
let apiUrl: string;

beforeAll(async () => {
  topo = await createTopology({ nodes: 1 });
  node = topo.nodes[0];
  await buildDist(DIST); // the controller serves the agent bundle only from a build
  controller = await startController({ bin: path.join(DIST, 'berth.cjs'), publicAddress: topo.publicAddress, extraArgs: ['--host', '0.0.0.0'] });
  apiUrl = `https://${topo.mgmtAddress}:${controller.opts.port}`;
  sys = new BootedSystem({
    dir: path.join(topo.dir, 'booted'),
    machine: node.name,
    netns: node.netns,
    binds: { [node.dockerHost.replace('unix://', '')]: '/run/docker.sock' },
  });
  await sys.boot();
  await writeFile(path.join(sys.rootDir, CA_INSIDE), controller.ca);
}, 900_000);

afterAll(async () => {
  await sys?.destroy();
  await controller?.stop();
  await topo?.teardown();
  await removeDir(DIST);
}, 120_000);

const inside = (argv: string[]) => sys.exec(argv);
const systemctl = async (...args: string[]) => (await inside(['systemctl', ...args]).catch((e) => ({ stdout: String(e.stdout ?? '') }))).stdout.trim();
const mainPid = async () => Number(await systemctl('show', '--property=MainPID', '--value', 'berth-agent'));
const registrations = () => controller.log.split('\n').filter((l) => l.includes('"agent registered"') && l.includes(node.name)).length;
const exists = (p: string) =>
  inside(['test', '-e', p]).then(
    () => true,
    () => false,
  );

/** Runs argv inside; never throws. */
function attempt(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return inside(argv).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: Number(e.code ?? 1), stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') }),
  );
}

/** Runs the one line, with extra words appended to the script's arguments. */
function oneLine(extra = '', env: string[] = [], token = controller.joinToken) {
  return attempt(['env', ...env, 'sh', '-c', `${ONE_LINE} ${extra}`, 'sh', apiUrl, token, node.name]);
}

/** Every path under the given folders, to compare before install and after uninstall. */
async function tree(...dirs: string[]): Promise<string[]> {
  const { stdout } = await inside(['find', ...dirs, '-xdev']);
  return stdout.split('\n').filter(Boolean).sort();
}

async function containerIds(): Promise<string[]> {
  const { stdout } = await inside([
    'sh',
    '-c',
    'curl -fsS --unix-socket /run/docker.sock "http://d/containers/json?filters=%7B%22label%22%3A%5B%22berth.reservation%22%5D%7D"',
  ]);
  return (JSON.parse(stdout) as Array<{ Id: string }>).map((c) => c.Id).sort();
}

/** The agent's last journal lines and the controller's log tail, for a failure message. */
async function diagnostics(): Promise<string> {
  const journal = await inside(['journalctl', '-u', 'berth-agent', '-n', '40', '--no-pager']).then(
    (r) => r.stdout,
    (e) => String(e),
  );
  return `\nberth-agent journal:\n${journal}\ncontroller log:\n${controller.log.split('\n').slice(-20).join('\n')}`;
}

async function running(name: string): Promise<void> {
  await waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body?.status?.phase === 'Running';
    },
    { timeoutMs: 90_000, what: `${name} Running` },
  ).catch(async (err: Error) => {
    const { body } = await controller.api.get('reservations', name);
    throw new Error(`${err.message}: ${JSON.stringify(body?.status)}${await diagnostics()}`);
  });
}

let before: string[];

describe('the install script refuses early, with one line, changing nothing', () => {
  const refused = async (res: { code: number; stderr: string }, message: RegExp) => {
    expect(res.code).not.toBe(0);
    const lines = res.stderr.trim().split('\n');
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^berth-agent install: /);
    expect(lines[0]).toMatch(message);
    expect(await exists('/etc/systemd/system/berth-agent.service')).toBe(false);
    expect(await exists('/usr/local/lib/berth-agent')).toBe(false);
  };

  it('records the system before any install', async () => {
    before = await tree('/etc', '/usr/local');
    expect(before).toContain('/etc/os-release');
  });

  it('not run as root', async () => {
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', ONE_LINE, 'sh', apiUrl, controller.joinToken, node.name];
    await refused(await attempt(asNobody), /run as root/);
  });

  it('no systemd running (a /run without /run/systemd/system, as on a machine booted otherwise)', async () => {
    const noSystemd = ['unshare', '--mount', 'sh', '-c', `mount -t tmpfs none /run && ${ONE_LINE}`, 'sh', apiUrl, controller.joinToken, node.name];
    await refused(await attempt(noSystemd), /systemd is not running on this machine/);
  });

  it('a token of another controller (its fingerprint differs)', async () => {
    const other = controller.joinToken.replace(/^K10[0-9a-f]{8}/, 'K10deadbeef');
    await refused(await oneLine('', [], other), /the token is not for this controller/);
  });

  it('a malformed token, without echoing it', async () => {
    const res = await oneLine('', [], 'not-a-token-s3cret');
    await refused(res, /bad --token/);
    expect(res.stderr).not.toContain('s3cret');
  });

  it('Node.js too old', async () => {
    await mkdir(path.join(sys.rootDir, 'opt/old-node'), { recursive: true });
    await writeFile(path.join(sys.rootDir, 'opt/old-node/node'), '#!/bin/sh\necho 18.19.1\n', { mode: 0o755 });
    await refused(await oneLine('', ['PATH=/opt/old-node:/usr/local/bin:/usr/bin:/bin']), /Node\.js 18\.19\.1 is too old: the agent needs \^20\.19\.0/);
  });

  it('no Docker engine', async () => {
    await refused(await oneLine('--docker-host unix:///run/no-docker.sock'), /no Docker engine: \/run\/no-docker\.sock is not a socket/);
  });

  it('a node name the agent would refuse (its own message, checked before anything is installed)', async () => {
    const res = await attempt(['sh', '-c', ONE_LINE.replace('"$3"', "'Bad_Name'"), 'sh', apiUrl, controller.joinToken, node.name]);
    await refused(res, /bad --node-name "Bad_Name"/);
  });

  it('a bundle whose SHA-256 is not the one the script announces', async () => {
    const zeros = '0'.repeat(64);
    const tampered = ONE_LINE.replace('| sh -s', `| sed "s/^BUNDLE_SHA256=.*/BUNDLE_SHA256='${zeros}'/" | sh -s`);
    const res = await attempt(['sh', '-c', tampered, 'sh', apiUrl, controller.joinToken, node.name]);
    await refused(res, new RegExp(`the downloaded agent's SHA-256 is [0-9a-f]{64}, not ${zeros}`));
  });

  it('an unknown argument', async () => {
    await refused(await oneLine('--nodename x'), /unknown argument '--nodename' \(usage: sh -s -- --token /);
  });
});

describe('one-line join under systemd', () => {
  it('installs, enables and starts the agent; the node becomes Ready at the address it reaches the controller from', async () => {
    const res = await oneLine();
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`berth-agent \\S+ installed: node ${node.name} \\(${node.address.replace(/\./g, '\\.')}\\)`));
    expect(await systemctl('is-enabled', 'berth-agent')).toBe('enabled');
    expect(await systemctl('is-active', 'berth-agent')).toBe('active');
    const ready = await waitForNodeReady(controller, node.name, undefined, 60_000);
    expect(JSON.stringify(ready)).toContain(`"${node.address}"`); // the default --address: its route's source
    const { stdout: mode } = await inside(['stat', '-c', '%a', '/etc/berth/agent.env']);
    expect(mode.trim()).toBe('600');
    const unit = await readFile(path.join(sys.rootDir, 'etc/systemd/system/berth-agent.service'), 'utf8');
    const flags = AGENT_NODE_FLAGS.join(' ');
    expect(unit).toContain(`\nExecStart=/usr/local/bin/node ${flags} /usr/local/lib/berth-agent/berth-agent.mjs\n`);
    // The agent systemd runs is node with the agent's flags (node-flags.ts: its memory at idle).
    const { stdout: cmdline } = await inside(['cat', `/proc/${await mainPid()}/cmdline`]);
    expect(cmdline.split('\0').slice(1, 1 + AGENT_NODE_FLAGS.length)).toEqual(AGENT_NODE_FLAGS);
    expect(await exists('/usr/local/bin/berth-agent-uninstall.sh')).toBe(true);
  });

  it('runs a reservation on the joined node', { timeout: 120_000 }, async () => {
    const image = {
      apiVersion: 'berth/v1',
      kind: 'Image',
      metadata: { name: 'web' },
      spec: { ref: topo.imageRef, ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '64Mi', maxCores: 1, maxMemory: '64Mi' } },
    };
    expect((await controller.api.apply(image)).status).toBeLessThan(300);
    expect((await controller.api.apply(reservation('joined-web'))).status).toBe(201);
    await running('joined-web');
    expect(await containerIds()).toHaveLength(1);
  });

  it('`systemctl restart` starts a new agent process that registers again', async () => {
    const [pid, seen] = [await mainPid(), registrations()];
    await inside(['systemctl', 'restart', 'berth-agent']);
    expect(await systemctl('is-active', 'berth-agent')).toBe('active');
    expect(await mainPid()).not.toBe(pid);
    await waitFor(() => registrations() > seen, { timeoutMs: 30_000, what: 'the restarted agent to register' });
    await waitForNodeReady(controller, node.name);
  });

  it('a SIGKILLed agent is started again by systemd (Restart=on-failure)', async () => {
    const [pid, seen] = [await mainPid(), registrations()];
    await inside(['systemctl', 'kill', '--signal=SIGKILL', 'berth-agent']);
    const next = await waitFor(
      async () => {
        const now = await mainPid();
        return now !== 0 && now !== pid && (await systemctl('is-active', 'berth-agent')) === 'active' ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'systemd to start the killed agent again' },
    );
    expect(next).not.toBe(pid);
    expect(Number(await systemctl('show', '--property=NRestarts', '--value', 'berth-agent'))).toBeGreaterThanOrEqual(1);
    await waitFor(() => registrations() > seen, { timeoutMs: 30_000, what: 'the restarted agent to register' });
    await waitForNodeReady(controller, node.name);
  });

  it('a reboot of the system brings the agent back at boot, and it keeps its container', { timeout: 180_000 }, async () => {
    const [containers, seen] = [await containerIds(), registrations()];
    expect(await sys.rebootAndWaitDown()).toBe(133); // systemd-nspawn's "reboot requested"
    await sys.boot();
    await waitFor(async () => (await systemctl('is-active', 'berth-agent')) === 'active', { timeoutMs: 30_000, what: 'berth-agent active after boot' });
    await waitFor(() => registrations() > seen, { timeoutMs: 60_000, what: 'the agent to register after the reboot' });
    await waitForNodeReady(controller, node.name);
    await running('joined-web');
    expect(await containerIds()).toEqual(containers);
  });

  it('the uninstaller removes what install created and nothing else', async () => {
    await controller.api.delete('reservations', 'joined-web');
    const { stdout } = await inside(['/usr/local/bin/berth-agent-uninstall.sh']);
    expect(stdout).toContain('berth-agent uninstalled');
    expect(await systemctl('is-active', 'berth-agent')).not.toBe('active');
    for (const p of [
      '/etc/systemd/system/berth-agent.service',
      '/etc/berth',
      '/usr/local/lib/berth-agent',
      '/var/lib/berth-agent',
      '/usr/local/bin/berth-agent-uninstall.sh',
    ]) {
      expect(await exists(p), p).toBe(false);
    }
    expect(await tree('/etc', '/usr/local')).toEqual(before);
  });

  it('the one-line uninstall (--uninstall) on a node without the agent succeeds and changes nothing', async () => {
    const res = await attempt(['sh', '-c', 'curl -fsS --cacert /opt/berth-ca.crt "$1/install/agent.sh" | sh -s -- --uninstall', 'sh', apiUrl]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('berth-agent uninstalled');
    expect(await tree('/etc', '/usr/local')).toEqual(before);
  });
});
