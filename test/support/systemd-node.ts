// A Debian system with systemd as PID 1, booted with systemd-nspawn on this machine, for tests of
// what runs under systemd (the one-line node join, restarts, reboots).
// - Its root is made once by mmdebstrap from Debian's packages and kept in CACHE_DIR, keyed by
//   ROOT_KEY (change the key when PACKAGES change); each test boots its own copy of it.
// - Node.js is the host's binary, bound read-only at /usr/local/bin/node (Debian 12's nodejs is
//   too old; the host's matches the root's glibc, both being Debian 12).
// - It joins a network namespace the test made (--network-namespace-path), so it has the
//   addresses, routes and iptables of a compute node of test/support/topology.ts.
// - Commands run inside through nsenter into all of its namespaces (no machined on this host).
// - `systemctl reboot` inside makes systemd-nspawn exit with 133; boot() again is the new boot,
//   on the same root directory, as systemd-nspawn@.service does with RestartForceExitStatus=133.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const CACHE_DIR = '/var/cache/berth';
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'curl', 'ca-certificates', 'iproute2', 'iptables', 'libstdc++6'];
export const ROOT_KEY = 'systemd-node-bookworm-v1';
const MIRROR = 'http://deb.debian.org/debian';

/** The cached root (building it the first time: about 3 minutes, mostly downloads). */
export async function ensureNodeRoot(): Promise<string> {
  const root = path.join(CACHE_DIR, ROOT_KEY);
  if (existsSync(path.join(root, 'etc/os-release'))) return root;
  const tmp = `${root}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(CACHE_DIR, { recursive: true });
  await run('mmdebstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, 'bookworm', tmp, MIRROR], {
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  await rename(tmp, root); // only a complete root gets the key's name
  return root;
}

export interface BootOptions {
  /** Where this system's root lives (a copy of the cached root is made there once). */
  dir: string;
  machine: string;
  /** `ip netns` name whose network the system gets. */
  netns: string;
  /** host path -> path inside, bound read-write (e.g. a Docker engine's socket). */
  binds?: Record<string, string>;
}

export class BootedSystem {
  private child?: ChildProcess;
  private exit?: Promise<number | null>;
  private leader?: number;
  readonly log: string[] = [];

  constructor(readonly opts: BootOptions) {}

  get rootDir(): string {
    return path.join(this.opts.dir, 'root');
  }

  /** Boots (copying the cached root the first time) and waits until systemd reports the boot done. */
  async boot(): Promise<void> {
    if (!existsSync(path.join(this.rootDir, 'etc/os-release'))) {
      await mkdir(this.opts.dir, { recursive: true });
      await run('cp', ['-a', '--reflink=auto', await ensureNodeRoot(), this.rootDir], { timeout: 120_000 });
      await writeFile(path.join(this.rootDir, 'etc/hostname'), `${this.opts.machine}\n`);
    }
    const node = await realpath(process.execPath);
    const binds = Object.entries(this.opts.binds ?? {}).map(([from, to]) => `--bind=${from}:${to}`);
    const child = spawn(
      'systemd-nspawn',
      [
        `--directory=${this.rootDir}`,
        '--boot',
        `--machine=${this.opts.machine}`,
        '--register=no',
        '--keep-unit',
        '--console=passive',
        `--network-namespace-path=/var/run/netns/${this.opts.netns}`,
        // Kept only with --private-network otherwise; the agent's isolation chain needs it.
        '--capability=CAP_NET_ADMIN',
        `--bind-ro=${node}:/usr/local/bin/node`,
        ...binds,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d) => this.log.push(String(d)));
    child.stderr?.on('data', (d) => this.log.push(String(d)));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const failFast = () => (child.exitCode !== null ? `systemd-nspawn exited ${child.exitCode}: ${this.log.join('').slice(-2000)}` : undefined);
    this.leader = await waitFor(() => this.findLeader(child.pid!), { timeoutMs: 30_000, what: 'the container init', failFast });
    // `is-system-running --wait` answers once the boot transaction is over (running or degraded).
    await waitFor(
      async () => {
        const { stdout } = await this.exec(['systemctl', 'is-system-running', '--wait']).catch((e) => ({ stdout: String(e.stdout ?? '') }));
        return ['running', 'degraded'].includes(stdout.trim()) ? stdout.trim() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${this.opts.machine} to finish booting`, failFast },
    );
  }

  /** systemd-nspawn's child whose command is systemd: PID 1 inside. */
  private async findLeader(nspawnPid: number): Promise<number | undefined> {
    const children = await readFile(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(' ').filter(Boolean).map(Number)) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'systemd') return pid;
    }
    return undefined;
  }

  /** Runs argv inside the booted system, as root, in all its namespaces. */
  exec(argv: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
    if (!this.leader) throw new Error(`${this.opts.machine} is not booted`);
    return run('nsenter', ['-t', String(this.leader), '-a', ...argv], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  }

  /** `systemctl reboot` inside; resolves with systemd-nspawn's exit code once the system is down. */
  async rebootAndWaitDown(): Promise<number | null> {
    await this.exec(['systemctl', 'reboot']).catch(() => undefined); // the connection may drop
    const code = (await this.exit) ?? null;
    this.leader = undefined;
    return code;
  }

  /** Powers off (or kills systemd-nspawn after 30 s) and removes the root copy. */
  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      await this.exec(['systemctl', 'poweroff']).catch(() => undefined);
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
      await this.exit;
      clearTimeout(timer);
    }
    await rm(this.opts.dir, { recursive: true, force: true });
  }
}
