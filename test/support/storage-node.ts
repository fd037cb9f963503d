// A storage node for the remote profile: its own network namespace (veth, private address)
// running Debian's sshd with a key made here. Everything is removed by dispose(), even after a
// failed start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export interface StorageNode {
  /** Address of the node inside its namespace, reachable from the root namespace. */
  address: string;
  port: number;
  user: string;
  /** Base directory of the reservations' data (the namespace shares the filesystem). */
  basePath: string;
  keyFile: string;
  /** Environment for `berth controller` (same as its --storage-* flags). */
  controllerEnv(): Record<string, string>;
  /** Stops sshd: the storage node is down (the address stays). */
  stop(): Promise<void>;
  /** (Re)starts sshd and waits until it accepts connections. */
  start(): Promise<void>;
  /** Directory names under basePath. */
  dirs(): Promise<string[]>;
  dispose(): Promise<void>;
}

async function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export async function startStorageNode(): Promise<StorageNode> {
  const tag = Math.random().toString(36).slice(2, 8);
  const ns = `bst-${tag}`;
  const hostIf = `bsh${tag}`;
  const nsIf = `bsn${tag}`;
  const octet = 16 + Math.floor(Math.random() * 200);
  const address = `10.213.${octet}.2`;
  const port = 2222;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-storage-'));
  const basePath = path.join(dir, 'data');
  const keyFile = path.join(dir, 'id_test');
  let sshd: ChildProcess | undefined;
  let nsCreated = false;

  const stop = async (): Promise<void> => {
    const child = sshd;
    sshd = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    // Established sessions (sshfs) are served by per-connection children: a node that is down has none.
    const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
  };
  const start = async (): Promise<void> => {
    if (sshd) return;
    const child = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/sshd', '-f', path.join(dir, 'sshd_config'), '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d) => (err += String(d)));
    sshd = child;
    await waitFor(() => portOpen(address, port), { timeoutMs: 10_000, what: 'storage sshd', failFast: () => (child.exitCode !== null ? `sshd exited: ${err}` : undefined) });
  };
  const dispose = async (): Promise<void> => {
    await stop();
    if (nsCreated) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await run('ip', ['link', 'delete', hostIf]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run('mkdir', ['-p', basePath, '/run/sshd']);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    await writeFile(path.join(dir, 'sshd_config'), [
      `ListenAddress ${address}:${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${keyFile}.pub`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'));
    await run('ip', ['netns', 'add', ns]);
    nsCreated = true;
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `10.213.${octet}.1/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsIf]);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    await start();
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    address, port, user: 'root', basePath, keyFile,
    controllerEnv: () => ({ BERTH_STORAGE_HOST: address, BERTH_STORAGE_PORT: String(port), BERTH_STORAGE_USER: 'root', BERTH_STORAGE_PATH: basePath, BERTH_STORAGE_KEY: keyFile }),
    stop, start, dispose,
    dirs: async () => (await readdir(basePath)).filter(Boolean),
  };
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
