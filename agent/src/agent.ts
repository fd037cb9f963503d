import { createRequire } from 'node:module';
import pino from 'pino';
import type * as grpc from '@grpc/grpc-js';
import type { Register } from '@berth/proto';
import { connectToController, type BackoffPolicy } from './connection/index.ts';
import { ConvergeLoop } from './converge/index.ts';
import { SystemHostStats, toNodeMetrics, type HostStats } from './metrics/index.ts';
import { DockerRuntime, type ContainerRuntime } from './runtime/index.ts';

export const AGENT_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface StartAgentOptions {
  /** host:port of the controller's gRPC endpoint. */
  controller: string;
  joinToken: string;
  nodeName: string;
  /** Private address of this node, where node ports are bound. */
  address: string;
  /** unix:///var/run/docker.sock (default) or tcp://host:port */
  dockerHost?: string;
  log?: pino.Logger;
  /** Defaults to insecure until TLS lands. */
  credentials?: grpc.ChannelCredentials;
  /** Re-observe and re-converge this often even without events (default 5000). */
  resyncIntervalMs?: number;
  backoff?: BackoffPolicy;
  /** Ports for tests and alternative engines; default to Docker and systeminformation. */
  runtime?: ContainerRuntime;
  hostStats?: HostStats;
}

export interface RunningAgent {
  /** Closes the stream and timers; containers keep running so a restarted agent adopts them. */
  stop(): Promise<void>;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const log = (opts.log ?? pino({ name: 'berth-agent' })).child({ node: opts.nodeName });
  const runtime = opts.runtime ?? new DockerRuntime({ nodeName: opts.nodeName, dockerHost: opts.dockerHost, log });
  const hostStats = opts.hostStats ?? new SystemHostStats();
  // Fail fast on an unreachable engine rather than registering a node that cannot run anything.
  await runtime.listManaged();

  let connection: ReturnType<typeof connectToController> | undefined;
  const loop = new ConvergeLoop({
    runtime,
    log,
    resyncIntervalMs: opts.resyncIntervalMs,
    onReport: (report) => connection?.sendReport(report),
  });
  const register = async (): Promise<Register> => {
    const snap = await hostStats.read();
    return {
      nodeName: opts.nodeName,
      address: opts.address,
      cores: snap.cores,
      memoryBytes: snap.memoryTotalBytes,
      joinToken: opts.joinToken,
      agentVersion: AGENT_VERSION,
    };
  };
  connection = connectToController({
    controller: opts.controller,
    credentials: opts.credentials,
    register,
    metrics: async () => toNodeMetrics(await hostStats.read()),
    // A fresh stream needs the current picture at once, not at the next resync.
    onRegistered: () => void loop.trigger(),
    onDesired: (desired) => void loop.setDesired(desired),
    log,
    backoff: opts.backoff,
  });
  // A crashed or restarted container is reported at once instead of at the next resync.
  const stopEvents = runtime.watchEvents(() => void loop.trigger());
  loop.start();
  log.info({ controller: opts.controller, address: opts.address, version: AGENT_VERSION }, 'agent started');

  return {
    async stop() {
      stopEvents();
      await connection?.close();
      await loop.stop();
      log.info({}, 'agent stopped');
    },
  };
}
