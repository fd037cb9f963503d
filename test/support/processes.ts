// Real Berth processes for cross-process tests: a controller and agents, each its own OS process
// started through the same bins a user runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../../agent/src/install/node-flags.ts';
import { BERTH_NODE_FLAGS } from '../../controller/src/cli/node-flags.ts';
import { ApiClient } from './api-client.ts';
import { currentContext } from './client-config.ts';
import { trustOptions } from './trust.ts';
import { waitFor } from './wait.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BERTH_BIN = path.join(ROOT, 'controller/bin/berth.cjs');
export const AGENT_BIN = path.join(ROOT, 'agent/bin/berth-agent.mjs');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

class Proc {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => this.output.push(String(d)));
    child.stderr?.on('data', (d) => this.output.push(String(d)));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get log(): string {
    return this.output.join('');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export interface ControllerOptions {
  dataDir?: string;
  databaseUrl?: string;
  nat?: 'iptables' | 'userspace';
  chainPrefix?: string;
  port?: number;
  grpcPort?: number;
  env?: Record<string, string>;
  /** Default 127.0.0.1; a topology passes its client-facing management address. */
  publicAddress?: string;
  /** Appended to the command line (later flags win). */
  extraArgs?: string[];
  /** The `berth` executable to run (default: the checkout's bin), e.g. an unpacked release's. */
  bin?: string;
}

export class ControllerProcess extends Proc {
  /** fetch that verifies the API against this controller's CA, as the CLI does. */
  readonly fetch: typeof fetch;

  constructor(
    child: ChildProcess,
    readonly url: string,
    /** The controller's CA (DATA_DIR/pki/ca.crt) and its file, for clients and CLI runs. */
    readonly ca: string,
    readonly caFile: string,
    readonly grpcAddress: string,
    readonly dataDir: string,
    readonly opts: Required<Pick<ControllerOptions, 'nat' | 'chainPrefix' | 'port' | 'grpcPort'>> & ControllerOptions,
    readonly api: ApiClient,
    readonly joinToken: string,
  ) {
    super(child);
    this.fetch = (async (input: string | URL, init: RequestInit = {}) => fetch(input, { ...init, ...(await trustOptions(ca)) } as RequestInit)) as typeof fetch;
  }

  /** The CLI environment for this server without a config file: server, token and CA. */
  cliEnv(token: string): Record<string, string | undefined> {
    return { BERTH_SERVER: this.url, BERTH_TOKEN: token, BERTH_CERTIFICATE_AUTHORITY: this.caFile, BERTH_CONFIG: undefined, HOME: '/nonexistent' };
  }
}

export async function startController(opts: ControllerOptions = {}): Promise<ControllerProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-ctl-')));
  const port = opts.port ?? (await freePort());
  const grpcPort = opts.grpcPort ?? (await freePort());
  const full = { nat: 'iptables' as const, chainPrefix: uniqueName('BT').replace('-', ''), ...opts, dataDir, port, grpcPort };
  const args = [
    opts.bin ?? BERTH_BIN,
    'controller',
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--grpc-port',
    String(grpcPort),
    '--host',
    '127.0.0.1',
    '--public-address',
    opts.publicAddress ?? '127.0.0.1',
    '--nat',
    full.nat,
    ...(opts.extraArgs ?? []),
  ];
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  // BERTH_CONTROLLER_NODE_ARGS: extra node flags for the controller alone (e.g. --cpu-prof for a bench).
  const nodeArgs = (process.env.BERTH_CONTROLLER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BERTH_NODE_FLAGS first, as the berth executable's first line runs it.
  const child = spawn(process.execPath, [...BERTH_NODE_FLAGS, ...nodeArgs, ...args], {
    env: { ...process.env, BERTH_NAT_CHAIN_PREFIX: full.chainPrefix, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // HTTPS with a certificate from the controller's own CA, made on its first start.
  const url = `https://127.0.0.1:${port}`;
  const caFile = path.join(dataDir, 'pki', 'ca.crt');
  const early = new Proc(child);
  const ca = await waitFor(
    async () => {
      const pem = await readFile(caFile, 'utf8').catch(() => undefined);
      if (!pem) return undefined;
      const res = await fetch(`${url}/readyz`, (await trustOptions(pem)) as RequestInit).catch(() => undefined);
      return res?.ok ? pem : undefined;
    },
    {
      timeoutMs: 60_000,
      what: 'controller /readyz',
      failFast: () => (child.exitCode !== null ? `controller exited: ${early.log}` : undefined),
    },
  );
  // The admin config is written once the controller is up (after /readyz answers): with
  // PostgreSQL that can take a moment longer.
  const config = await waitFor(
    async () => {
      const admin = await currentContext(path.join(dataDir, 'berth.config'));
      return admin?.token ? (admin as { token: string }) : undefined;
    },
    {
      timeoutMs: 30_000,
      what: 'controller admin config (berth.config)',
      failFast: () => (child.exitCode !== null ? `controller exited: ${early.log}` : undefined),
    },
  );
  const joinToken = (await readFile(path.join(dataDir, 'join-token'), 'utf8')).trim();
  const proc = new ControllerProcess(child, url, ca, caFile, `127.0.0.1:${grpcPort}`, dataDir, full, new ApiClient(url, config.token, ca), joinToken);
  proc.output.push(...early.output);
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.on('data', (d) => proc.output.push(String(d)));
  child.stderr?.on('data', (d) => proc.output.push(String(d)));
  // BERTH_CONTROLLER_LOG_FILE: a bench keeps only a tail in memory; this keeps everything the
  // controller writes after start-up in that file, for study.
  const teeTo = process.env.BERTH_CONTROLLER_LOG_FILE;
  if (teeTo) {
    const tee = createWriteStream(teeTo, { flags: 'a' });
    child.stdout?.on('data', (d) => tee.write(d));
    child.stderr?.on('data', (d) => tee.write(d));
    child.once('exit', () => tee.end());
  }
  return proc;
}

export class AgentProcess extends Proc {
  constructor(
    child: ChildProcess,
    readonly nodeName: string,
  ) {
    super(child);
  }
}

export function startAgent(opts: {
  controller: string;
  joinToken: string;
  nodeName: string;
  address?: string;
  env?: Record<string, string>;
  netns?: string;
  bin?: string;
}): AgentProcess {
  const args = [
    ...AGENT_NODE_FLAGS, // as the agent's unit and executable run it
    opts.bin ?? AGENT_BIN,
    '--controller',
    opts.controller,
    '--join-token',
    opts.joinToken,
    '--node-name',
    opts.nodeName,
    '--address',
    opts.address ?? '127.0.0.1',
  ];
  // In a node's network namespace the agent sees only that host's network, as on a real node;
  // nsenter execs node in place, so signals reach the agent itself.
  const [cmd, argv] = opts.netns ? ['nsenter', [`--net=/run/netns/${opts.netns}`, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new AgentProcess(child, opts.nodeName);
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
