// A storage node for the remote profile, set up as an operator would: its own network namespace
// (veth, private address) and its own mount namespace with a private copy of /etc, where
// scripts/storage-node/setup-storage-node.sh creates the accounts, the helper, sudo's rule and
// sshd's Match block; sshd then runs with them. Everything is removed by dispose(), even after a
// failed start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const SETUP = fileURLToPath(new URL('../../scripts/storage-node/setup-storage-node.sh', import.meta.url));

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StorageNode {
  /** Address of the node inside its namespace, reachable from the root namespace. */
  address: string;
  port: number;
  /** The controller's admin account and its key. */
  adminUser: string;
  adminKeyFile: string;
  /** Base directory of the reservations' data, the nodes' chroot (same path from the root namespace). */
  basePath: string;
  /** Environment for `berth controller` (same as its --storage-* flags). */
  controllerEnv(): Record<string, string>;
  /** Stops sshd: the storage node is down (the address stays). */
  stop(): Promise<void>;
  /** (Re)starts sshd and waits until it accepts connections. */
  start(): Promise<void>;
  /** Directory names under basePath. */
  dirs(): Promise<string[]>;
  /** Owner (account name, as the storage node knows it) of a path on the storage node. */
  owner(p: string): Promise<string>;
  /** Runs a command on the storage node (its namespaces, its /etc). */
  exec(args: string[]): Promise<Outcome>;
  /** sftp batch commands as `user` with `keyFile`, from the root namespace. */
  sftp(user: string, keyFile: string, commands: string[]): Promise<Outcome>;
  /** ssh as `user` with `keyFile` from the root namespace, extra ssh arguments first. */
  ssh(user: string, keyFile: string, sshArgs: string[], remote: string[]): Promise<Outcome>;
  dispose(): Promise<void>;
}

async function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Runs a command to completion; a failure is an outcome, not an exception. */
export function outcome(cmd: string, args: string[], input?: string, timeoutMs = 20_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a command that exits before reading its input
    child.stdin.end(input ?? '');
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
  // Not under /tmp: every directory above a chroot must be root-owned and not world-writable.
  const dir = `/srv/berth-e2e-${tag}`;
  const basePath = path.join(dir, 'data');
  const adminKeyFile = path.join(dir, 'admin_key');
  let sshd: ChildProcess | undefined;
  let holder: ChildProcess | undefined;
  let nsCreated = false;
  const enter = () => ['-t', String(holder!.pid), '--mount', `--net=/var/run/netns/${ns}`, '--'];

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
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const start = async (): Promise<void> => {
    if (sshd) return;
    const child = spawn('nsenter', [...enter(), '/usr/sbin/sshd', '-f', path.join(dir, 'sshd_config'), '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d) => (err += String(d)));
    sshd = child;
    await waitFor(() => portOpen(address, port), {
      timeoutMs: 10_000,
      what: 'storage sshd',
      failFast: () => (child.exitCode !== null ? `sshd exited: ${err}` : undefined),
    });
  };
  const dispose = async (): Promise<void> => {
    await stop();
    if (holder && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder!.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
    if (nsCreated) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await run('ip', ['link', 'delete', hostIf]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const clientOpts = (keyFile: string) => [
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `IdentityFile=${keyFile}`,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=5',
  ];

  try {
    await mkdir(dir, { mode: 0o755 });
    await run('cp', ['-a', '/etc', path.join(dir, 'etc')]);
    await mkdir('/run/sshd', { recursive: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-controller', '-f', adminKeyFile]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    await run('ip', ['netns', 'add', ns]);
    nsCreated = true;
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `10.213.${octet}.1/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsIf]);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    // A process holding a private mount namespace; the storage node's /etc is bound there only.
    holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    const own = await readlink('/proc/self/ns/mnt');
    await waitFor(async () => (await readlink(`/proc/${holder!.pid}/ns/mnt`).catch(() => own)) !== own, { timeoutMs: 5000, what: 'private mount namespace' });
    await run('nsenter', ['-t', String(holder.pid), '--mount', '--', 'mount', '--bind', path.join(dir, 'etc'), '/etc']);
    await run('nsenter', [...enter(), '/bin/sh', SETUP, basePath, `${adminKeyFile}.pub`]);
    await writeFile(
      path.join(dir, 'sshd_config'),
      [
        `ListenAddress ${address}:${port}`,
        `HostKey ${path.join(dir, 'host_key')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        'UsePAM no',
        'Subsystem sftp internal-sftp',
        // What the set-up script wrote, as a Debian sshd_config includes it.
        'Include /etc/ssh/sshd_config.d/berth-storage.conf',
        '',
      ].join('\n'),
    );
    await start();
  } catch (err) {
    await dispose();
    throw err;
  }
  const exec = (args: string[]) => outcome('nsenter', [...enter(), ...args]);
  return {
    address,
    port,
    adminUser: 'berth-admin',
    adminKeyFile,
    basePath,
    controllerEnv: () => ({
      BERTH_STORAGE_HOST: address,
      BERTH_STORAGE_PORT: String(port),
      BERTH_STORAGE_USER: 'berth-admin',
      BERTH_STORAGE_KEY: adminKeyFile,
    }),
    stop,
    start,
    dispose,
    exec,
    dirs: async () => (await readdir(basePath)).filter(Boolean),
    owner: async (p) => (await exec(['stat', '-c', '%U', '--', p])).stdout.trim(),
    sftp: (user, keyFile, commands) =>
      outcome('sftp', [...clientOpts(keyFile), '-b', '-', '-P', String(port), `${user}@${address}`], commands.join('\n') + '\n'),
    ssh: (user, keyFile, sshArgs, remote) => outcome('ssh', [...clientOpts(keyFile), ...sshArgs, '-p', String(port), '-l', user, '--', address, ...remote]),
  };
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
