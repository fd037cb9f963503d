// A Docker engine of a test's own, to kill or freeze without touching the host's engine. It runs
// in a network namespace of its own (nsenter, as topology.ts does: `ip netns exec` breaks dockerd),
// so its bridge and iptables rules never meet the host's; an agent in the root namespace reaches
// it through its unix socket. Names carry a prefix so a crashed run's leftovers can be found
// (cleanupDedicatedEngines).
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const NETNS_PREFIX = 'bde';
const DIR_PREFIX = 'berth-dedicated-engine-';

export interface DedicatedEngine {
  /** unix://SOCK, for the agent's DOCKER_HOST. */
  dockerHost: string;
  dir: string;
  /** Sends a signal to dockerd itself (SIGKILL: a crashed engine; SIGSTOP: a hung one). */
  signal(signal: NodeJS.Signals): Promise<void>;
  teardown(): Promise<void>;
}

const quiet = (cmd: string, args: string[]) => run(cmd, args, { timeout: 30_000 }).catch(() => undefined);

async function killNetns(netns: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }));
  const pids = stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(async () => (await run('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }))).stdout.trim() === '', {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: `processes of ${netns} to exit`,
  }).catch(() => undefined);
  await quiet('ip', ['netns', 'delete', netns]);
}

async function removeDir(dir: string): Promise<void> {
  // Overlay layers, shm and netns files the engine left mounted.
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m?.startsWith(dir + '/'));
  for (const m of mounts.sort((a, b) => b.length - a.length)) await quiet('umount', ['-l', m]);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** Removes the engines a crashed earlier run left behind; call once before starting any. */
export async function cleanupDedicatedEngines(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  for (const ns of stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(NETNS_PREFIX)))
    await killNetns(ns);
  for (const entry of await readdir(os.tmpdir())) {
    if (entry.startsWith(DIR_PREFIX)) await removeDir(path.join(os.tmpdir(), entry));
  }
}

export async function startDedicatedEngine(): Promise<DedicatedEngine> {
  const id = Math.random().toString(36).slice(2, 8);
  const netns = `${NETNS_PREFIX}${id}`;
  const dir = path.join(os.tmpdir(), `${DIR_PREFIX}${id}`);
  await mkdir(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  const pidfile = path.join(dir, 'dockerd.pid');
  const engine: DedicatedEngine = {
    dockerHost: `unix://${sock}`,
    dir,
    async signal(signal) {
      process.kill(Number((await readFile(pidfile, 'utf8')).trim()), signal);
    },
    async teardown() {
      await killNetns(netns); // dockerd, its containerd and shims all live in the namespace
      await removeDir(dir);
    },
  };
  try {
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const log = openSync(path.join(dir, 'dockerd.log'), 'a');
    const child = spawn(
      'nsenter',
      [
        `--net=/var/run/netns/${netns}`,
        'dockerd',
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '-H',
        engine.dockerHost,
        '--pidfile',
        pidfile,
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    child.unref();
    await writeFile(path.join(dir, 'nsenter.pid'), String(child.pid));
    await waitFor(async () => (await run('docker', ['-H', engine.dockerHost, 'info', '--format', '{{.ID}}'], { timeout: 5000 })).stdout.trim() !== '', {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: 'the dedicated dockerd',
      failFast: () => (child.exitCode !== null ? `dedicated dockerd exited; see ${dir}/dockerd.log` : undefined),
    });
  } catch (err) {
    await engine.teardown();
    throw err;
  }
  return engine;
}
