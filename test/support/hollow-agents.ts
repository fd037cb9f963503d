// Hollow agents: many simulated compute nodes in one process, each speaking the real agent
// protocol (proto/caas/v1/agent.proto) over its own TLS stream pinned by the join token, through
// the real agent's connection code. No containers exist: a hollow node answers every DesiredState
// with the report a healthy node would send (future starts `created`, the others `running`), the
// way Kubernetes' hollow kubelets (kubemark) stand in for nodes when measuring a control plane.
//
// HollowFleet runs inside the hollow process (hollow-agents-main.ts); HollowAgentsProcess is the
// parent's handle on that process: spawn, stop nodes abruptly, read counters, shut down.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pino from 'pino';
import {
  parseJoinToken,
  type ContainerReport,
  type ContainerSpec,
  type ContainerStatus,
  type DesiredState,
  type NodeMetrics,
  type Register,
} from '@berth/proto';
import { connectToController, pinnedCredentials, type ControllerConnection } from '../../agent/src/connection/index.ts';
import { MemoryIdentityStore } from '../../agent/src/identity/index.ts';

export const HOLLOW_AGENT_VERSION = 'hollow';

export interface HollowFleetOptions {
  /** host:port of the controller's gRPC endpoint. */
  controller: string;
  /** K10<fingerprint>::<secret>: the fingerprint pins the controller's certificate. */
  joinToken: string;
  nodes: number;
  /** Node names are PREFIX-0000, PREFIX-0001, ... */
  prefix: string;
  cores: number;
  memoryBytes: number;
  /** First two octets of node addresses; node i gets BASE.(i / 250).(i % 250 + 1). */
  addressBase?: string;
  /** Full report re-sent this often, as the real agent's resync (default 5000). */
  resyncIntervalMs?: number;
}

export interface HollowNodeStats {
  /** Times the controller answered Registered: 1 on a steady node, more after reconnects. */
  registrations: number;
  /** Streams opened (each reconnect builds a fresh registration). */
  connectAttempts: number;
  /** Streams lost while the node was meant to run (not counting a stop asked by the parent). */
  streamLosses: number;
  connected: boolean;
  stopped: boolean;
  /** ms since the fleet started, of the first Registered; undefined until then. */
  firstRegisteredMs?: number;
  desiredVersion: number;
  containers: number;
  reportsSent: number;
  heartbeatsSent: number;
}

export interface HollowStats {
  nodes: number;
  registered: number;
  connected: number;
  stopped: string[];
  /** ms since the fleet started when every node had registered once; undefined if not yet. */
  allRegisteredMs?: number;
  /** Why streams were lost, with counts (the agent connection's own words). */
  lossReasons: Record<string, number>;
  perNode: Record<string, HollowNodeStats>;
}

interface HollowContainer {
  spec: ContainerSpec;
  id: string;
  createdAtMs: number;
  startedAtMs: number;
}

export function hollowNodeName(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(4, '0')}`;
}

export function hollowNodeAddress(base: string, i: number): string {
  return `${base}.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
}

/** What connectToController logs through: only the stream losses are of interest (counted). */
function countingLogger(onLost: (why: string) => void): pino.Logger {
  const quiet = () => undefined;
  const logger = {
    child: () => logger,
    trace: quiet,
    debug: quiet,
    info: quiet,
    fatal: quiet,
    warn: (obj: unknown, msg?: string) => {
      if (msg === 'controller stream lost, reconnecting') onLost(String((obj as { why?: string }).why ?? 'unknown'));
    },
    error: quiet,
  };
  return logger as unknown as pino.Logger;
}

/** Normalises a loss reason for counting: numbers and addresses vary per node. */
const reasonKey = (why: string) => why.replace(/\d+(\.\d+)*(:\d+)?/g, 'N').slice(0, 120);

class HollowNode {
  readonly stats: HollowNodeStats = {
    registrations: 0,
    connectAttempts: 0,
    streamLosses: 0,
    connected: false,
    stopped: false,
    desiredVersion: 0,
    containers: 0,
    reportsSent: 0,
    heartbeatsSent: 0,
  };
  private connection?: ControllerConnection;
  private desired?: DesiredState;
  private readonly containers = new Map<string, HollowContainer>();
  private heartbeatIntervalMs = 5_000;
  private beatsOnStream = 0;
  private resyncTimer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  // Where in the heartbeat and resync periods this node beats: spread so a fleet that registered
  // within a second does not beat in lockstep.
  private readonly phase = Math.random();
  private readonly bootedAt = Date.now();

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly fleet: { opts: Required<HollowFleetOptions>; fingerprint: string; startedAt: number; onLost: (why: string) => void },
  ) {}

  start(): void {
    const { opts, fingerprint } = this.fleet;
    this.connection = connectToController({
      controller: opts.controller,
      // Per node, as each real agent makes its own: the fleet shares no TLS context.
      credentials: (id) => pinnedCredentials(fingerprint, id),
      // Each hollow node joins like a real one: a certificate for its own key, then mutual TLS.
      identity: new MemoryIdentityStore(),
      register: () => this.register(),
      // The agent's connection beats on a timer started at registration. Holding each beat back
      // by this node's phase (less than one interval) spreads the fleet over the interval.
      // The first beat of a stream goes at once, as the agent's does.
      metrics: async () => {
        if (this.beatsOnStream++ > 0) await sleep(this.phase * this.heartbeatIntervalMs);
        if (this.stats.stopped) throw new Error('stopped');
        this.stats.heartbeatsSent++;
        return this.metrics();
      },
      onStreamLost: () => {
        this.beatsOnStream = 0;
      },
      onRegistered: (r) => {
        this.stats.registrations++;
        this.stats.connected = true;
        this.stats.firstRegisteredMs ??= Date.now() - this.fleet.startedAt;
        if (r.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = r.heartbeatIntervalMs;
        // As the real agent: a fresh stream gets the current picture at once.
        this.sendReport();
      },
      onDesired: (d) => this.onDesired(d),
      // Logs are not simulated: answer at once that there is nothing, so no request hangs.
      onLogs: (req) => {
        if (!req.cancel) this.connection?.sendLogChunk({ requestId: req.requestId, data: Buffer.alloc(0), eof: true, error: 'hollow node: no container logs' });
      },
      log: countingLogger((why) => {
        this.stats.connected = false;
        if (this.stats.stopped) return;
        this.stats.streamLosses++;
        this.fleet.onLost(why);
      }),
    });
    const resync = this.fleet.opts.resyncIntervalMs;
    this.resyncTimer = setTimeout(() => {
      this.sendReport();
      this.resyncTimer = setInterval(() => this.sendReport(), resync);
    }, this.phase * resync);
  }

  /** Abrupt loss: the stream is cancelled and nothing more is sent (heartbeats, reports). */
  async stop(): Promise<void> {
    if (this.stats.stopped) return;
    this.stats.stopped = true;
    this.stats.connected = false;
    clearTimeout(this.resyncTimer);
    clearInterval(this.resyncTimer);
    clearTimeout(this.startTimer);
    await this.connection?.close();
  }

  private register(): Register {
    this.stats.connectAttempts++;
    const { opts } = this.fleet;
    return {
      nodeName: this.name,
      address: this.address,
      cores: opts.cores,
      memoryBytes: opts.memoryBytes,
      joinToken: opts.joinToken,
      agentVersion: HOLLOW_AGENT_VERSION,
    };
  }

  private metrics(): NodeMetrics {
    const total = this.fleet.opts.memoryBytes;
    return {
      memoryTotalBytes: total,
      memoryFreeBytes: Math.floor(total * 0.8),
      load1: 0.2,
      load5: 0.15,
      load15: 0.1,
      uptimeSeconds: (Date.now() - this.bootedAt) / 1000 + 86_400,
      cpuPercent: 3,
    };
  }

  /** "Converges" at once: containers for new specs, none for removed ones, new generations replace old. */
  private onDesired(d: DesiredState): void {
    if (this.stats.stopped) return;
    this.desired = d;
    this.stats.desiredVersion = d.version;
    const now = Date.now();
    const wanted = new Set<string>();
    for (const spec of d.containers) {
      wanted.add(spec.reservationId);
      const have = this.containers.get(spec.reservationId);
      if (have && have.spec.generation === spec.generation) {
        have.spec = spec;
        continue;
      }
      this.containers.set(spec.reservationId, { spec, id: randomBytes(32).toString('hex'), createdAtMs: now, startedAtMs: 0 });
    }
    for (const id of [...this.containers.keys()]) if (!wanted.has(id)) this.containers.delete(id);
    this.stats.containers = this.containers.size;
    this.armNextStart(now);
    this.sendReport();
  }

  /** A prepared container starts on the node's clock at its window; the agent reports it then. */
  private armNextStart(now: number): void {
    clearTimeout(this.startTimer);
    const next = Math.min(...[...this.containers.values()].map((c) => c.spec.startAtMs ?? 0).filter((t) => t > now));
    if (!Number.isFinite(next)) return;
    this.startTimer = setTimeout(
      () => {
        this.armNextStart(Date.now());
        this.sendReport();
      },
      Math.min(next - now, 2 ** 31 - 1),
    );
    this.startTimer.unref();
  }

  private report(): ContainerReport {
    const now = Date.now();
    const containers: ContainerStatus[] = [...this.containers.values()].map((c) => {
      const startAt = c.spec.startAtMs ?? 0;
      const running = startAt <= now;
      if (running && c.startedAtMs === 0) c.startedAtMs = Math.max(startAt, c.createdAtMs);
      return {
        reservationId: c.spec.reservationId,
        generation: c.spec.generation,
        containerId: c.id,
        state: running ? 'running' : 'created',
        health: 'none',
        restartCount: 0,
        message: '',
        startedAtMs: running ? c.startedAtMs : 0,
        ports: c.spec.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })),
        ...(running ? { cpuPercent: 1.5, memoryBytes: 48 * 1024 * 1024 } : {}),
      };
    });
    containers.sort((a, b) => (a.reservationId < b.reservationId ? -1 : a.reservationId > b.reservationId ? 1 : 0));
    return { appliedVersion: this.desired?.version ?? 0, containers };
  }

  private sendReport(): void {
    if (this.stats.stopped || !this.connection) return;
    if (this.connection.sendReport(this.report())) this.stats.reportsSent++;
  }
}

/** N hollow nodes in this process. */
export class HollowFleet {
  private readonly nodes: HollowNode[] = [];
  private readonly lossReasons = new Map<string, number>();
  private readonly startedAt = Date.now();

  constructor(options: HollowFleetOptions) {
    const token = parseJoinToken(options.joinToken);
    if (!token) throw new Error('join token: expected K10<fingerprint>::<secret>');
    const opts: Required<HollowFleetOptions> = { addressBase: '10.200', resyncIntervalMs: 5_000, ...options };
    const fleet = {
      opts,
      fingerprint: token.fingerprint,
      startedAt: this.startedAt,
      onLost: (why: string) => this.lossReasons.set(reasonKey(why), (this.lossReasons.get(reasonKey(why)) ?? 0) + 1),
    };
    for (let i = 0; i < opts.nodes; i++) this.nodes.push(new HollowNode(hollowNodeName(opts.prefix, i), hollowNodeAddress(opts.addressBase, i), fleet));
  }

  /** Every node connects at once, as a fleet of agents does when the controller comes up. */
  start(): void {
    for (const n of this.nodes) n.start();
  }

  names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  async stopNodes(names: string[]): Promise<string[]> {
    const wanted = new Set(names);
    const chosen = this.nodes.filter((n) => wanted.has(n.name));
    await Promise.all(chosen.map((n) => n.stop()));
    return chosen.map((n) => n.name);
  }

  stats(): HollowStats {
    const perNode: Record<string, HollowNodeStats> = {};
    let allRegisteredMs: number | undefined = 0;
    for (const n of this.nodes) {
      perNode[n.name] = { ...n.stats };
      if (n.stats.firstRegisteredMs === undefined) allRegisteredMs = undefined;
      else if (allRegisteredMs !== undefined) allRegisteredMs = Math.max(allRegisteredMs, n.stats.firstRegisteredMs);
    }
    const all = Object.values(perNode);
    return {
      nodes: this.nodes.length,
      registered: all.filter((s) => s.registrations > 0).length,
      connected: all.filter((s) => s.connected).length,
      stopped: this.nodes.filter((n) => n.stats.stopped).map((n) => n.name),
      allRegisteredMs: this.nodes.length ? allRegisteredMs : undefined,
      lossReasons: Object.fromEntries(this.lossReasons),
      perNode,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ------------------------------------------------------------------ the parent's side

export const HOLLOW_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hollow-agents-main.ts');

/** Commands over the IPC channel (or JSON lines on stdin when run by hand). */
export type HollowCommand = { id: number; cmd: 'stats' } | { id: number; cmd: 'stop'; nodes: string[] } | { id: number; cmd: 'shutdown' };
export type HollowReply =
  | { type: 'started'; nodes: string[] }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

export interface SpawnHollowOptions extends Omit<HollowFleetOptions, 'joinToken'> {
  joinToken: string;
}

/** The hollow agents as their own OS process, so the controller's CPU is measured alone. */
export class HollowAgentsProcess {
  /** Epoch ms of the spawn. */
  readonly spawnedAt = Date.now();
  private readonly output: string[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private seq = 0;
  readonly started: Promise<string[]>;
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const keep = (d: Buffer) => {
      this.output.push(String(d));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`hollow agents exited (${code ?? signal})`));
        }
        this.pending.clear();
        resolve(code);
      }),
    );
    this.started = new Promise((resolve, reject) => {
      child.on('message', (m: HollowReply) => {
        if (m.type === 'started') resolve(m.nodes);
        if (m.type !== 'reply') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      });
      void this.exited.then((code) => reject(new Error(`hollow agents exited (${code}) before starting:\n${this.log.slice(-2000)}`)));
    });
    this.started.catch(() => undefined);
  }

  static spawn(opts: SpawnHollowOptions): HollowAgentsProcess {
    // BERTH_HOLLOW_NODE_ARGS: extra node flags for the hollow process (e.g. --cpu-prof to study it).
    const nodeArgs = (process.env.BERTH_HOLLOW_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const args = [
      ...nodeArgs,
      '--import',
      'tsx',
      HOLLOW_MAIN,
      '--controller',
      opts.controller,
      '--nodes',
      String(opts.nodes),
      '--prefix',
      opts.prefix,
      '--cores',
      String(opts.cores),
      '--memory-bytes',
      String(opts.memoryBytes),
      ...(opts.addressBase ? ['--address-base', opts.addressBase] : []),
      ...(opts.resyncIntervalMs ? ['--resync-ms', String(opts.resyncIntervalMs)] : []),
    ];
    // The token travels in the environment, not on a command line other users can read.
    const child = spawn(process.execPath, args, {
      env: { ...process.env, BERTH_HOLLOW_JOIN_TOKEN: opts.joinToken },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new HollowAgentsProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output.join('');
  }

  private request<T>(cmd: Omit<HollowCommand, 'id'>, timeoutMs = 15_000): Promise<T> {
    if (!this.alive || !this.child.connected) return Promise.reject(new Error('hollow agents process is not running'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`hollow agents: no answer to ${cmd.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ ...cmd, id });
    });
  }

  stats(timeoutMs?: number): Promise<HollowStats> {
    return this.request<HollowStats>({ cmd: 'stats' }, timeoutMs);
  }

  /** Stops the named nodes abruptly; resolves with the names stopped. */
  stopNodes(nodes: string[]): Promise<string[]> {
    return this.request<string[]>({ cmd: 'stop', nodes } as Omit<HollowCommand, 'id'>);
  }

  /** Asks for a clean exit, then kills the process if it has not gone within the time. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (!this.alive) return;
    await this.request({ cmd: 'shutdown' }, timeoutMs).catch(() => undefined);
    const gone = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
    if (!gone && this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
