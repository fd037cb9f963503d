// Scoped storage credentials, attacked with the real keys: each compute node's agent generates its
// own key, the storage node (sshd in its own namespaces, set up by scripts/storage-node) gives each
// node an SFTP-only chrooted account, and the controller grants each reservation's directory to
// the account of the node it is placed on. Here a node's key is used directly, as a compromised
// node would, against another node's data.
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { storageAccount } from '../../controller/src/storage/index.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { containersOfNode, removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { outcome, startStorageNode, type StorageNode } from '../support/storage-node.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';

const run = promisify(execFile);
let controller: ControllerProcess;
let storage: StorageNode;
const agents: Array<{ proc: AgentProcess; stateDir: string }> = [];
const nodeA = uniqueName('saa');
const nodeB = uniqueName('sab');
const accountA = storageAccount(nodeA);
const accountB = storageAccount(nodeB);
let keyA: string;
let keyB: string;
let uidA: string;
let uidB: string;

async function launchAgent(nodeName: string) {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-agent-state-'));
  const proc = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName, env: { BERTH_STATE_DIR: stateDir } });
  agents.push({ proc, stateDir });
  await waitForNodeReady(controller, nodeName, proc);
  return { proc, stateDir, keyFile: path.join(stateDir, 'storage', 'id_storage') };
}
const running = (r: any) => r.status?.phase === 'Running' && r.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
async function runningOn(name: string, node: string, timeoutMs = 40_000) {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body && running(body) && body.status.node === node ? body : undefined;
    },
    { timeoutMs, what: `${name} Running on ${node}` },
  );
}
/** sftp `get` into a fresh local file: what the key could read, if anything. */
async function sftpGet(user: string, keyFile: string, remote: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-sftp-get-'));
  try {
    const r = await storage.sftp(user, keyFile, [`get ${remote} ${dir}/out`]);
    return { ...r, content: await readFile(path.join(dir, 'out'), 'utf8').catch(() => '') };
  } finally {
    await removeDir(dir);
  }
}
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
const cordon = async (node: string, on: boolean) =>
  expect((await controller.api.request('POST', `/api/v1/nodes/${node}/${on ? 'cordon' : 'uncordon'}`)).status).toBe(200);

beforeAll(async () => {
  storage = await startStorageNode();
  controller = await startController({ env: { ...storage.controllerEnv(), BERTH_NODE_GRACE: '4s', BERTH_HEARTBEAT_INTERVAL: '1s' } });
  expect((await controller.api.apply(webImage('web', { dataPath: '/data' }))).status).toBe(201);
  const a = await launchAgent(nodeA);
  const b = await launchAgent(nodeB);
  keyA = a.keyFile;
  keyB = b.keyFile;
  // One remote reservation on each node.
  await cordon(nodeB, true);
  expect((await controller.api.apply(reservation('on-a', { profile: 'remote' }))).status).toBe(201);
  uidA = (await runningOn('on-a', nodeA)).metadata.uid;
  await cordon(nodeB, false);
  await cordon(nodeA, true);
  expect((await controller.api.apply(reservation('on-b', { profile: 'remote' }))).status).toBe(201);
  uidB = (await runningOn('on-b', nodeB)).metadata.uid;
  await cordon(nodeA, false);
  await exec((await containerOf(nodeA, uidA))!.id, 'echo secret-of-a > /data/f');
  await exec((await containerOf(nodeB, uidB))!.id, 'echo secret-of-b > /data/f');
}, 150_000);

afterAll(async () => {
  for (const a of agents) await a.proc.stop();
  await controller?.stop();
  for (const a of agents) {
    await removeNodeContainers(a.proc.nodeName);
    for (const m of await mountsUnder(a.stateDir).catch(() => [])) await run('umount', ['-l', m]).catch(() => undefined);
    await removeDir(a.stateDir);
  }
  if (controller) await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: controller.opts.chainPrefix }).teardown();
  if (controller) await removeDir(controller.dataDir);
  await storage?.dispose();
}, 60_000);

describe('scoped storage credentials', () => {
  it("gives each reservation's directory to its node's account alone, mode 0700, in a base no node can list", async () => {
    expect(await storage.owner(path.join(storage.basePath, uidA))).toBe(accountA);
    expect(await storage.owner(path.join(storage.basePath, uidB))).toBe(accountB);
    const modes = await storage.exec(['stat', '-c', '%a %U', '--', storage.basePath, path.join(storage.basePath, uidA)]);
    expect(modes.stdout.trim().split('\n')).toEqual(['711 root', `700 ${accountA}`]);
    // The controller never handed a private key over: each agent made its own.
    expect(((await import('node:fs')).statSync(keyA).mode & 0o777).toString(8)).toBe('600');
  });

  it("a node's key reads its own reservation but cannot list the storage node nor list or read another node's reservation", async () => {
    const own = await sftpGet(accountA, keyA, `/${uidA}/data/f`);
    expect(own).toMatchObject({ code: 0, content: 'secret-of-a\n' });

    const stolen = await sftpGet(accountA, keyA, `/${uidB}/data/f`);
    expect(stolen.code).not.toBe(0);
    expect(stolen.content).toBe('');
    for (const attempt of ['ls /', `ls /${uidB}`, `ls /${uidB}/data`, `rename /${uidB} /stolen`, `rm /${uidB}/data/f`, `chmod 777 /${uidB}`]) {
      const r = await storage.sftp(accountA, keyA, [attempt]);
      expect(r.code, attempt).not.toBe(0);
      // sftp echoes each batch command; what follows it is what the storage node answered.
      const answer =
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('sftp> '))
          .join('\n') + r.stderr;
      expect(answer, attempt).not.toContain('secret-of-b');
      expect(answer, attempt).toMatch(/denied|failure|Couldn't|Can't/i);
      if (attempt === 'ls /') expect(answer).not.toMatch(new RegExp(`${uidA}|${uidB}`));
    }
    // Nor can it log in as the other node's account (its key is not that account's).
    const asB = await sftpGet(accountB, keyA, `/${uidB}/data/f`);
    expect(asB).toMatchObject({ content: '' });
    expect(asB.code).not.toBe(0);
    expect(asB.stderr).toMatch(/Permission denied \(publickey\)/);
    expect((await readFile(path.join(storage.basePath, uidB, 'data', 'f'), 'utf8')).trim()).toBe('secret-of-b');
  });

  it('neither a node account nor the controller admin account gets a shell, a tty or a forwarded port', async () => {
    for (const [user, key] of [
      [accountA, keyA],
      [storage.adminUser, storage.adminKeyFile],
    ]) {
      for (const args of [[], ['-tt']]) {
        const r = await storage.ssh(user, key, args, ['id', ';', 'sh', '-c', 'id']);
        expect(`${r.stdout}${r.stderr}`, `${user} ${args}`).not.toMatch(/uid=\d+/);
      }
      const forward = await storage.ssh(user, key, ['-W', `127.0.0.1:${storage.port}`], []);
      expect(forward.code, `${user} -W`).not.toBe(0);
      expect(forward.stdout, `${user} -W`).not.toContain('SSH-2.0');
    }
    // The admin key runs only the helper, and the helper only valid requests about node accounts.
    for (const request of [
      ['grant', uidA, 'root'],
      ['grant', `../${uidA}`, accountA],
      ['release', '*'],
      ['add-node', 'root', 'ssh-ed25519', 'AAAA'],
    ]) {
      const r = await storage.ssh(storage.adminUser, storage.adminKeyFile, ['-T'], request);
      expect(r.code, request.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^berth-storage-helper: (account|reservation|request|key)/);
    }
    const sftpAsAdmin = await storage.sftp(storage.adminUser, storage.adminKeyFile, ['ls /']);
    expect(sftpAsAdmin.code).not.toBe(0);
    expect(await storage.owner(path.join(storage.basePath, uidA))).toBe(accountA);
  });

  it("a moved reservation keeps its data on the new node, and the old node's key and live mount lose it", async () => {
    const a = agents.find((x) => x.proc.nodeName === nodeA)!;
    const oldMount = path.join(a.stateDir, 'mounts', uidA);
    // Node A is lost (its agent killed, its containers gone); its sshfs process and key stay, as on
    // a compromised node that keeps what it had.
    await a.proc.stop('SIGKILL');
    await removeNodeContainers(nodeA);
    const moved = await runningOn('on-a', nodeB, 90_000);
    expect(moved.metadata.uid).toBe(uidA);
    expect((await exec((await containerOf(nodeB, uidA))!.id, 'cat /data/f')).trim()).toBe('secret-of-a');
    expect(await storage.owner(path.join(storage.basePath, uidA))).toBe(accountB);

    const direct = await sftpGet(accountA, keyA, `/${uidA}/data/f`);
    expect(direct.code).not.toBe(0);
    expect(direct.content).toBe('');
    // Its sessions were ended at the move: the still-mounted sshfs reconnects as A and is refused.
    const throughMount = await outcome('cat', [path.join(oldMount, 'data', 'f')], undefined, 15_000);
    expect(throughMount.code).not.toBe(0);
    expect(throughMount.stdout).not.toContain('secret-of-a');
    const write = await outcome('sh', ['-c', 'echo overwritten > "$1"', 'sh', path.join(oldMount, 'data', 'f')], undefined, 15_000);
    expect(write.code).not.toBe(0);
    expect((await exec((await containerOf(nodeB, uidA))!.id, 'cat /data/f')).trim()).toBe('secret-of-a');
  }, 150_000);

  it('a restarted controller installs no key and grants no directory a second time', async () => {
    const grants = async () =>
      ((await controller.api.request('GET', '/api/v1/events?kind=Reservation&name=on-a')).body.items as any[]).filter((e) => e.reason === 'StorageGranted')
        .length;
    const keyMtime = async () => (await storage.exec(['stat', '-c', '%Y.%Z', `/etc/berth-storage/keys/${accountB}`])).stdout.trim();
    expect(await grants()).toBe(2); // on A when placed, on B when moved
    const before = await keyMtime();
    await controller.stop();
    controller = await startController({
      ...controller.opts,
      dataDir: controller.dataDir,
      env: { ...storage.controllerEnv(), BERTH_NODE_GRACE: '4s', BERTH_HEARTBEAT_INTERVAL: '1s' },
    });
    const b = agents.find((x) => x.proc.nodeName === nodeB)!;
    await waitForNodeReady(controller, nodeB, b.proc);
    await runningOn('on-a', nodeB);
    expect(await grants()).toBe(2);
    expect(await keyMtime()).toBe(before);
    expect(await storage.owner(path.join(storage.basePath, uidA))).toBe(accountB);
  }, 90_000);

  it('deleting a reservation deletes its directory, and its node account has nothing of it left', async () => {
    expect((await controller.api.delete('reservations', 'on-b')).status).toBe(200);
    await waitFor(async () => !(await storage.dirs()).includes(uidB), { what: 'on-b directory released', timeoutMs: 30_000 });
    const after = await storage.sftp(accountB, keyB, [`ls /${uidB}`]);
    expect(after.code).not.toBe(0);
  }, 60_000);
});
