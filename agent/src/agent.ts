import { createRequire } from 'node:module';
import path from 'node:path';
import pino from 'pino';
import type * as grpc from '@grpc/grpc-js';
import { JOIN_TOKEN_FORMAT, parseJoinToken, type Register } from '@berth/proto';
import { BUILD } from '@berth/proto/build-info';
import { connectToController, pinnedCredentials, withTimeout, type BackoffPolicy } from './connection/index.ts';
import { ConvergeLoop } from './converge/index.ts';
import { SystemHostStats, toNodeMetrics, type HostStats } from './metrics/index.ts';
import { DockerRuntime, type ContainerRuntime } from './runtime/index.ts';
import { HostStorage } from './storage/index.ts';
import { ContainerUsageSampler, streamContainerLogs, withUsage, type MetricsServer } from './monitoring/index.ts';
import { dockerPing, EngineMonitor, type EnginePing } from './health/index.ts';
import { containerGuards } from './container-guards.ts';
import { FileIdentityStore, type IdentityStore } from './identity/index.ts';
import { ExecManager } from './exec/index.ts';
import { PortForwarder, SandboxPorts, type EgressPolicy } from './network/index.ts';
import type { Protection } from './protections.ts';

export const AGENT_VERSION: string = BUILD?.version ?? (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const ENGINE_CHECK_MS = 30_000;
// Within a service manager's stop timeout (systemd: 30 s) and the 10 s operators expect.
export const DEFAULT_STOP_DEADLINE_MS = 7_000;
// Shares of the stop deadline: in-flight engine work, then the controller's answer to our end.
const STOP_WORK_MS = 3_000;
const STOP_CLOSE_GRACE_MS = 2_000;

export interface StartAgentOptions {
  /** host:port of the controller's gRPC endpoint. */
  controller: string;
  joinToken: string;
  nodeName: string;
  /** Private address of this node, where node ports are bound. */
  address: string;
  /** unix:///var/run/docker.sock (default) or tcp://host:port */
  dockerHost?: string;
  /** Mounts and the storage key live here (default /var/lib/berth-agent/NODE). */
  stateDir?: string;
  log?: pino.Logger;
  /** Default: TLS trusting only the certificate the join token names; tests may pass insecure. */
  credentials?: grpc.ChannelCredentials;
  /** Where the node's key and certificate live (default: files in STATE_DIR/identity). */
  identity?: IdentityStore;
  /** Re-observe and re-converge this often even without events (default 5000). */
  resyncIntervalMs?: number;
  backoff?: BackoffPolicy;
  /** Ports for tests and alternative engines; default to Docker and /proc. */
  runtime?: ContainerRuntime;
  hostStats?: HostStats;
  /** Serve /metrics, /healthz and /readyz on this port (0 = any free port); off when undefined. */
  metricsPort?: number;
  metricsHost?: string;
  /** How often container CPU/memory are read from the engine (default 10000). */
  usageIntervalMs?: number;
  /** Capacity offered to the scheduler instead of the whole host (keep room for the host itself). */
  capacityCores?: number;
  capacityMemoryMiB?: number;
  /** Pause between engine health checks (default 5000); each check is a ping bounded by a timeout. */
  engineCheckIntervalMs?: number;
  /** Engine health check port; defaults to the Docker engine's /_ping (a non-Docker runtime: listManaged). */
  enginePing?: EnginePing;
  /** CIDRs containers may not reach, besides the controller, this node and the storage node. */
  protectedNetworks?: string[];
  /** deny: containers open no connection beyond their tenant network (default allow). */
  containerEgress?: EgressPolicy;
  /** How often each container's disk use is measured against its limit (default 15000). */
  storageCheckIntervalMs?: number;
  /** Measurement only (the apply-to-connect bench): these protections are left out. */
  measureWithout?: Protection[];
  /**
   * Warm sandboxes (runtime/pod-sandboxes.ts): containers on a tenant network start in a spare's
   * network namespace and the agent publishes their ports. 'builtin' (default): an image made on
   * the node; 'none': off, the engine networks and publishes every container; else an image.
   */
  podSandboxImage?: string;
}

export interface RunningAgent {
  /**
   * Takes no more work, cancels log streams, closes the stream and timers; resolves within
   * deadlineMs (default DEFAULT_STOP_DEADLINE_MS) even when the controller or the engine does not
   * answer. Containers keep running so a restarted agent adopts them.
   */
  stop(deadlineMs?: number): Promise<void>;
  /** Port of the metrics listener, when one was asked for. */
  metricsPort?: number;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const log = (opts.log ?? pino({ name: 'berth-agent' })).child({ node: opts.nodeName });
  const token = parseJoinToken(opts.joinToken);
  if (!opts.credentials && !token) throw new Error(`join token: ${JOIN_TOKEN_FORMAT}`);
  const without = new Set(opts.measureWithout ?? []);
  if (without.size) log.warn({ without: [...without] }, "protections left out for a measurement: this node must not run customers' containers");
  const sandboxImage = opts.podSandboxImage ?? 'builtin';
  const sandboxes = without.has('network') || sandboxImage === 'none' ? undefined : { image: sandboxImage === 'builtin' ? undefined : sandboxImage };
  const runtime =
    opts.runtime ?? new DockerRuntime({ nodeName: opts.nodeName, dockerHost: opts.dockerHost, log, harden: !without.has('hardening'), sandboxes });
  const hostStats = opts.hostStats ?? new SystemHostStats();
  // Fail fast on an unreachable engine rather than registering a node that cannot run anything.
  await withTimeout(runtime.listManaged(), ENGINE_CHECK_MS, 'the first container engine check');

  let connection: ReturnType<typeof connectToController> | undefined;
  // Usage and logs need the engine itself; a fake runtime in unit tests has neither.
  const docker = runtime instanceof DockerRuntime ? runtime.docker : undefined;
  const usage = docker ? new ContainerUsageSampler(docker, () => runtime.listManaged(), opts.usageIntervalMs, log) : undefined;
  // Storage needs the engine's volumes; a fake runtime in unit tests runs ephemeral only.
  const stateDir = opts.stateDir ?? path.join('/var/lib/berth-agent', opts.nodeName);
  // The node's key and certificate (see identity/); tests may hold them in memory instead.
  const identity = opts.identity ?? new FileIdentityStore(path.join(stateDir, 'identity'));
  const storage = docker ? new HostStorage({ docker, nodeName: opts.nodeName, stateDir, log }) : undefined;
  const sandboxPorts =
    runtime instanceof DockerRuntime && runtime.sandboxes
      ? new SandboxPorts({ sandboxes: runtime.sandboxes, forwarder: new PortForwarder({ log }), log })
      : undefined;
  const guards = docker
    ? containerGuards({
        ...opts,
        agentPublishes: sandboxPorts !== undefined,
        docker,
        runtime,
        stateDir,
        storageHost: () => storage?.storageHost(),
        trigger: () => void loop.trigger(),
        log,
      })
    : undefined;
  const loop: ConvergeLoop = new ConvergeLoop({
    runtime,
    log,
    storage: storage ? { host: storage, layout: storage.layout } : undefined,
    networks: without.has('network') ? undefined : guards?.networks,
    isolation: guards?.isolation,
    ephemeral: guards?.ephemeral,
    sandboxes: sandboxPorts,
    resyncIntervalMs: opts.resyncIntervalMs,
    onReport: (report) => connection?.sendReport(usage ? withUsage(report, usage.current()) : report),
  });
  const engine = new EngineMonitor({
    ping: opts.enginePing ?? (docker ? dockerPing(docker) : () => runtime.listManaged()),
    intervalMs: opts.engineCheckIntervalMs,
    log,
    // What failed while the engine was away is retried now, not at the next resync.
    onTransition: (h) => {
      if (h.available) void loop.trigger();
    },
  });
  // Evictions are read back before the first pass, so none of them is started again.
  await guards?.start();
  const logStreams = new Map<string, () => void>();
  // Execs only in a real engine's containers; a fake runtime in unit tests has none.
  const execs = docker
    ? new ExecManager({
        docker,
        nodeName: opts.nodeName,
        log,
        desired: () => loop.desiredContainers(),
        observed: () => loop.lastReport?.containers,
        send: (o) => void connection?.sendExecOutput(o),
      })
    : undefined;
  // Set by stop(): messages still arriving from the controller start nothing new.
  let stopping = false;
  const register = async (): Promise<Register> => {
    const snap = await hostStats.read();
    return {
      nodeName: opts.nodeName,
      address: opts.address,
      cores: opts.capacityCores ?? snap.cores,
      memoryBytes: opts.capacityMemoryMiB !== undefined ? opts.capacityMemoryMiB * 1048576 : snap.memoryTotalBytes,
      joinToken: opts.joinToken,
      agentVersion: AGENT_VERSION,
      storagePublicKey: await storagePublicKey(),
    };
  };
  // The node's own key for the storage node, made once; without it the node registers all the same.
  const storagePublicKey = async (): Promise<string> => {
    try {
      return (await storage?.ensureKey()) ?? '';
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'storage key unavailable');
      return '';
    }
  };
  connection = connectToController({
    controller: opts.controller,
    credentials: (id) => opts.credentials ?? pinnedCredentials(token!.fingerprint, id),
    identity,
    register,
    metrics: async () => toNodeMetrics(await hostStats.read()),
    engine: () => engine.status(),
    protectionsOff: [...without],
    // A fresh stream needs the current picture at once, not at the next resync.
    onRegistered: (r) => {
      if (stopping) return;
      // Storage settings first, so the pass this triggers can mount remote data.
      void (storage?.configure(r.storage) ?? Promise.resolve())
        .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'storage node settings unusable'))
        .then(() => loop.trigger());
    },
    onDesired: (desired) => {
      if (!stopping) void loop.setDesired(desired);
    },
    onLogs: (req) => {
      if (req.cancel) return logStreams.get(req.requestId)?.();
      if (stopping) return;
      const send = (data: Buffer, eof: boolean, error = '') => connection?.sendLogChunk({ requestId: req.requestId, data, eof, error });
      const container = loop.lastReport?.containers.find((c) => c.reservationId === req.reservationId && c.containerId);
      if (!docker || !container) return void send(Buffer.alloc(0), true, 'no container for this reservation on the node');
      logStreams.set(
        req.requestId,
        streamContainerLogs(
          docker,
          container.containerId,
          { follow: req.follow, tail: req.tail },
          {
            data: (d) => void send(d, false),
            end: (error) => {
              logStreams.delete(req.requestId);
              send(Buffer.alloc(0), true, error);
            },
          },
        ),
      );
    },
    onExec: (req) => {
      if (stopping && req.start) return void connection?.sendExecOutput({ execId: req.execId, exited: true, error: 'the agent is stopping' });
      if (execs) execs.handle(req);
      else if (req.start) connection?.sendExecOutput({ execId: req.execId, exited: true, error: 'exec is not supported by this runtime' });
    },
    onStreamLost: () => execs?.cancelAll('the controller stream was lost'),
    log,
    backoff: opts.backoff,
  });
  // A crashed or restarted container is reported at once instead of at the next resync.
  const stopEvents = runtime.watchEvents(() => void loop.trigger());
  loop.start();
  usage?.start();
  engine.start();
  let metrics: MetricsServer | undefined;
  if (opts.metricsPort !== undefined) {
    const { startMetricsServer } = await import('./monitoring/metrics-server.ts');
    metrics = await startMetricsServer(
      {
        nodeName: opts.nodeName,
        host: () => hostStats.read(),
        report: () => (loop.lastReport && usage ? withUsage(loop.lastReport, usage.current()) : loop.lastReport),
        connected: () => connection?.isRegistered() ?? false,
      },
      opts.metricsHost ?? '127.0.0.1',
      opts.metricsPort,
    );
    log.info({ port: metrics.port }, 'metrics listener started');
  }
  log.info({ controller: opts.controller, address: opts.address, version: AGENT_VERSION }, 'agent started');

  return {
    metricsPort: metrics?.port,
    async stop(deadlineMs = DEFAULT_STOP_DEADLINE_MS) {
      const started = Date.now();
      const left = () => Math.max(0, started + deadlineMs - Date.now());
      stopping = true;
      engine.stop();
      stopEvents();
      for (const cancel of [...logStreams.values()]) cancel(); // each sends its final chunk while the stream is open
      execs?.cancelAll('the agent is stopping');
      // A converge pass or stats round in flight may hang on a dead engine: wait for it only so long.
      await settleWithin(
        Promise.all([loop.stop().then(() => sandboxPorts?.stop()), usage?.stop(), metrics?.close(), guards?.stop()]),
        Math.min(STOP_WORK_MS, left()),
        'engine work in flight',
        log,
      );
      await settleWithin(connection!.close(Math.min(STOP_CLOSE_GRACE_MS, left())), left(), 'closing the controller stream', log);
      log.info({ ms: Date.now() - started }, 'agent stopped');
    },
  };
}

/** Waits for p at most ms; a step that overruns is logged and left behind, never awaited. */
async function settleWithin(p: Promise<unknown>, ms: number, what: string, log: pino.Logger): Promise<void> {
  try {
    await withTimeout(p, ms, what);
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'shutdown step abandoned');
  }
}
