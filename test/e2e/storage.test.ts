// Storage profiles through real processes: a controller, agent processes on the root namespace's
// Docker engine, and a storage node (sshd in its own network namespace) for the remote profile.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { containersOfNode, removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { exists, startStorageNode, type StorageNode } from '../support/storage-node.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';

const run = promisify(execFile);
let controller: ControllerProcess;
let storage: StorageNode;
const agents: Array<{ proc: AgentProcess; stateDir: string }> = [];
const nodeA = uniqueName('sta');
const nodeB = uniqueName('stb');

async function launchAgent(nodeName: string, reuseStateDir?: string): Promise<{ proc: AgentProcess; stateDir: string }> {
  const stateDir = reuseStateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-agent-state-')));
  const proc = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName, env: { BERTH_STATE_DIR: stateDir } });
  const agent = { proc, stateDir };
  agents.push(agent);
  await waitForNodeReady(controller, nodeName, proc);
  return agent;
}

async function waitForReservation(name: string, check: (r: any) => boolean, what: string, timeoutMs = 40_000) {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body && check(body) ? body : undefined;
    },
    { timeoutMs, what: `${name} ${what}` },
  );
}
const running = (r: any) => r.status?.phase === 'Running' && r.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

async function containerOf(node: string, uid: string) {
  return (await containersOfNode(node)).find((c) => c.reservation === uid);
}
async function exec(containerId: string, script: string): Promise<string> {
  return (await run('docker', ['exec', containerId, 'sh', '-c', script])).stdout;
}
async function mountsUnder(dir: string): Promise<string[]> {
  return (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((p) => p?.startsWith(`${dir}/`));
}
async function volumesOf(node: string): Promise<string[]> {
  const { stdout } = await run('docker', ['volume', 'ls', '-q', '--filter', `label=berth.node=${node}`]);
  return stdout.split('\n').filter(Boolean);
}
async function restartAndWait(node: string, uid: string): Promise<string> {
  const before = (await containerOf(node, uid))!;
  await run('docker', ['restart', '-t', '1', before.id]);
  const after = await waitFor(
    async () => {
      const c = await containerOf(node, uid);
      return c?.state === 'running' ? c : undefined;
    },
    { what: 'container running again' },
  );
  expect(after.id).toBe(before.id);
  return after.id;
}
async function sshfsPid(mountPoint: string): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `^sshfs \\S+ ${mountPoint} `]);
  const pids = stdout.split('\n').filter(Boolean).map(Number);
  if (pids.length !== 1) throw new Error(`expected one sshfs for ${mountPoint}, found ${pids.length}`);
  return pids[0];
}
async function startedAt(containerId: string): Promise<string> {
  return (await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', containerId])).stdout.trim();
}
/** Simulates losing the machine: agent killed, its containers and FUSE mounts gone with it. */
async function loseNode(agent: { proc: AgentProcess; stateDir: string }): Promise<void> {
  await agent.proc.stop('SIGKILL');
  await removeNodeContainers(agent.proc.nodeName);
  for (const m of await mountsUnder(agent.stateDir)) await run('umount', ['-l', m]).catch(() => undefined);
  await removeDir(agent.stateDir);
}

beforeAll(async () => {
  storage = await startStorageNode();
  // A short grace so node loss is quick; heartbeats well inside it so a live node never flaps.
  controller = await startController({ env: { ...storage.controllerEnv(), BERTH_NODE_GRACE: '4s', BERTH_HEARTBEAT_INTERVAL: '1s' } });
  await launchAgent(nodeA);
  expect((await controller.api.apply(webImage('web', { dataPath: '/data' }))).status).toBe(201);
}, 90_000);

afterAll(async () => {
  for (const a of agents) await a.proc.stop();
  await controller?.stop();
  for (const a of agents) {
    await removeNodeContainers(a.proc.nodeName);
    for (const v of await volumesOf(a.proc.nodeName).catch(() => [])) await run('docker', ['volume', 'rm', '-f', v]).catch(() => undefined);
    for (const m of await mountsUnder(a.stateDir).catch(() => [])) await run('umount', ['-l', m]).catch(() => undefined);
    await removeDir(a.stateDir);
  }
  if (controller) await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: controller.opts.chainPrefix }).teardown();
  if (controller) await removeDir(controller.dataDir);
  await storage?.dispose();
}, 60_000);

describe('storage profiles', () => {
  it('local: data written through the service survives a container restart; delete removes container and volume', async () => {
    expect((await controller.api.apply(reservation('loc', { profile: 'local' }))).status).toBe(201);
    const r = await waitForReservation('loc', running, 'Running');
    const uid = r.metadata.uid;
    const volume = `berth-${nodeA}-${uid}`;
    expect(await volumesOf(nodeA)).toContain(volume);
    const id = (await containerOf(nodeA, uid))!.id;
    await exec(id, 'echo local-data > /data/f');
    const again = await restartAndWait(nodeA, uid);
    expect((await exec(again, 'cat /data/f')).trim()).toBe('local-data');

    expect((await controller.api.delete('reservations', 'loc')).status).toBe(200);
    await waitFor(async () => !(await containerOf(nodeA, uid)) && !(await volumesOf(nodeA)).includes(volume), {
      what: 'container and volume removed',
      timeoutMs: 20_000,
    });
  }, 90_000);

  it('remote: data survives a restart and the loss of the compute node; delete removes container, mount and directory', async () => {
    expect((await controller.api.apply(reservation('rem', { profile: 'remote' }))).status).toBe(201);
    const r = await waitForReservation('rem', running, 'Running');
    const uid = r.metadata.uid;
    const [a] = agents;
    expect(await mountsUnder(a.stateDir)).toEqual([path.join(a.stateDir, 'mounts', uid)]);
    const id = (await containerOf(nodeA, uid))!.id;
    await exec(id, 'echo remote-data > /data/f');
    expect((await readFile(path.join(storage.basePath, uid, 'data', 'f'), 'utf8')).trim()).toBe('remote-data');
    const again = await restartAndWait(nodeA, uid);
    expect((await exec(again, 'cat /data/f')).trim()).toBe('remote-data');

    // As after a reboot: the sshfs mount is gone and the engine tries to start the container by
    // itself. It must fail for the missing source rather than run on the bare mount point; the
    // agent then mounts again and starts it, with the data. The agent is paused meanwhile, as
    // when the engine starts before it at boot: otherwise its own remount may come first.
    const mountPoint = path.join(a.stateDir, 'mounts', uid);
    process.kill(a.proc.child.pid!, 'SIGSTOP');
    let started: string;
    try {
      await run('docker', ['stop', '-t', '1', again]);
      await run('fusermount', ['-u', '-z', mountPoint]);
      started = await run('docker', ['start', again]).then(
        () => 'started',
        (err: { stderr?: string }) => err.stderr ?? 'failed',
      );
    } finally {
      process.kill(a.proc.child.pid!, 'SIGCONT');
    }
    expect(started).toMatch(/bind source path does not exist/);
    const back = await waitFor(
      async () => {
        const c = await containerOf(nodeA, uid);
        return c?.state === 'running' && (await mountsUnder(a.stateDir)).includes(mountPoint) ? c : undefined;
      },
      { what: 'remounted and running again', timeoutMs: 30_000 },
    );
    expect((await exec(back.id, 'cat /data/f')).trim()).toBe('remote-data');

    // The sshfs process dies (OOM killer, say): the kernel keeps a dead mount. The agent replaces
    // it with a new sshfs and restarts the container on the fresh mount.
    const deadPid = await sshfsPid(mountPoint);
    const startedBefore = await startedAt(back.id);
    process.kill(deadPid, 'SIGKILL');
    await waitFor(
      async () => {
        const pid = await sshfsPid(mountPoint).catch(() => undefined);
        return (
          pid !== undefined && pid !== deadPid && (await startedAt(back.id)) !== startedBefore && (await exec(back.id, 'cat /data/f')).trim() === 'remote-data'
        );
      },
      { what: 'dead mount replaced and the container restarted on it', timeoutMs: 30_000 },
    );
    expect((await containerOf(nodeA, uid))!.id).toBe(back.id);
    // The key reached the agent's state dir readable by its owner only.
    expect(((await import('node:fs')).statSync(path.join(a.stateDir, 'storage', 'id_storage')).mode & 0o777).toString(8)).toBe('600');

    const b = await launchAgent(nodeB);
    await loseNode(a);
    const moved = await waitForReservation('rem', (x) => x.status?.node === nodeB && running(x), `rescheduled to ${nodeB}`, 90_000);
    expect(moved.metadata.uid).toBe(uid);
    const onB = (await containerOf(nodeB, uid))!.id;
    expect((await exec(onB, 'cat /data/f')).trim()).toBe('remote-data');
    expect(await mountsUnder(b.stateDir)).toEqual([path.join(b.stateDir, 'mounts', uid)]);

    expect((await controller.api.delete('reservations', 'rem')).status).toBe(200);
    await waitFor(
      async () => !(await containerOf(nodeB, uid)) && (await mountsUnder(b.stateDir)).length === 0 && !(await exists(path.join(storage.basePath, uid))),
      {
        what: 'container, mount and remote directory removed',
        timeoutMs: 30_000,
      },
    );
  }, 180_000);

  it('at the end of the window the container, volume, mount and remote directory are all gone', async () => {
    const node = agents.at(-1)!.proc.nodeName;
    const stateDir = agents.at(-1)!.stateDir;
    expect((await controller.api.apply(reservation('short-loc', { profile: 'local', duration: '25s' }))).status).toBe(201);
    expect((await controller.api.apply(reservation('short-rem', { profile: 'remote', duration: '25s' }))).status).toBe(201);
    const loc = await waitForReservation('short-loc', running, 'Running');
    const rem = await waitForReservation('short-rem', running, 'Running');
    expect(await exists(path.join(storage.basePath, rem.metadata.uid))).toBe(true);
    expect(await volumesOf(node)).toContain(`berth-${node}-${loc.metadata.uid}`);
    await waitForReservation('short-loc', (x) => x.status?.phase === 'Expired', 'Expired', 40_000);
    await waitForReservation('short-rem', (x) => x.status?.phase === 'Expired', 'Expired', 40_000);
    await waitFor(
      async () =>
        (await containersOfNode(node)).length === 0 &&
        (await volumesOf(node)).length === 0 &&
        (await mountsUnder(stateDir)).length === 0 &&
        !(await exists(path.join(storage.basePath, rem.metadata.uid))),
      { what: 'everything of the expired reservations removed', timeoutMs: 30_000 },
    );
  }, 120_000);

  it('a restarted agent adopts the mounts it still needs and unmounts the one whose reservation ended meanwhile', async () => {
    const agent = agents.at(-1)!;
    const node = agent.proc.nodeName;
    expect((await controller.api.apply(reservation('keep', { profile: 'remote' }))).status).toBe(201);
    expect((await controller.api.apply(reservation('drop', { profile: 'remote' }))).status).toBe(201);
    const keep = (await waitForReservation('keep', running, 'Running')).metadata.uid;
    const drop = (await waitForReservation('drop', running, 'Running')).metadata.uid;
    const keepContainer = (await containerOf(node, keep))!.id;
    await exec(keepContainer, 'echo kept > /data/f');
    await agent.proc.stop();
    expect((await mountsUnder(agent.stateDir)).sort()).toEqual([keep, drop].map((id) => path.join(agent.stateDir, 'mounts', id)).sort());
    expect((await controller.api.delete('reservations', 'drop')).status).toBe(200);

    agents.splice(agents.indexOf(agent), 1);
    await launchAgent(node, agent.stateDir);
    await waitFor(
      async () => !(await containerOf(node, drop)) && (await mountsUnder(agent.stateDir)).length === 1 && !(await exists(path.join(storage.basePath, drop))),
      {
        what: 'the ended reservation released after the restart',
        timeoutMs: 30_000,
      },
    );
    expect(await mountsUnder(agent.stateDir)).toEqual([path.join(agent.stateDir, 'mounts', keep)]);
    expect((await containerOf(node, keep))!.id).toBe(keepContainer);
    expect((await exec(keepContainer, 'cat /data/f')).trim()).toBe('kept');
    await controller.api.delete('reservations', 'keep');
    await waitFor(async () => (await mountsUnder(agent.stateDir)).length === 0 && !(await exists(path.join(storage.basePath, keep))), {
      what: 'keep released',
      timeoutMs: 30_000,
    });
  }, 120_000);

  it('a storage node that is down: StorageUnavailable, no container, and recovery when it is back', async () => {
    const node = agents.at(-1)!.proc.nodeName;
    const stateDir = agents.at(-1)!.stateDir;
    await storage.stop();
    try {
      expect((await controller.api.apply(reservation('down', { profile: 'remote' }))).status).toBe(201);
      const waiting = await waitForReservation(
        'down',
        (x) => x.status?.conditions?.some((c: any) => c.type === 'Ready' && c.reason === 'StorageUnavailable'),
        'StorageUnavailable',
      );
      const ready = waiting.status.conditions.find((c: any) => c.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', message: expect.stringMatching(/^storage unavailable: /) });
      expect(await containerOf(node, waiting.metadata.uid)).toBeUndefined();
      expect(await mountsUnder(stateDir)).toEqual([]);
    } finally {
      await storage.start();
    }
    const r = await waitForReservation('down', running, 'Running after the storage node came back', 40_000);
    expect(await mountsUnder(stateDir)).toEqual([path.join(stateDir, 'mounts', r.metadata.uid)]);
    await controller.api.delete('reservations', 'down');
    await waitFor(async () => (await mountsUnder(stateDir)).length === 0 && !(await exists(path.join(storage.basePath, r.metadata.uid))), {
      what: 'cleanup after recovery',
      timeoutMs: 30_000,
    });
  }, 120_000);
});
