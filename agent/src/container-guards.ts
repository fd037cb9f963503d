// What keeps the node's containers apart and within bounds: the isolation rules, a network per
// tenant, and the ephemeral-storage limit. Built only on a real engine (a fake runtime in unit
// tests has no networks, rules or disk).
import path from 'node:path';
import type Docker from 'dockerode';
import type pino from 'pino';
import { DockerNetworks, NodeIsolation, PooledNetworks, type EgressPolicy, type TenantNetworkHost } from './network/index.ts';
import { EphemeralStorageMonitor, EvictionStore } from './monitoring/index.ts';
import type { ContainerRuntime } from './runtime/index.ts';
import type { Protection } from './protections.ts';

export interface ContainerGuardOptions {
  docker: Docker;
  runtime: ContainerRuntime;
  nodeName: string;
  controller: string;
  address: string;
  stateDir: string;
  protectedNetworks?: string[];
  containerEgress?: EgressPolicy;
  storageCheckIntervalMs?: number;
  storageHost: () => string | undefined;
  /** Asks for a converge pass (a stopped container is then reported at once). */
  trigger: () => void;
  log: pino.Logger;
  /** Containers in warm sandboxes: the agent's own DNAT into tenant bridges is let through. */
  agentPublishes?: boolean;
  /** Measurement only: 'rules' leaves the isolation chains out (see protections.ts). */
  measureWithout?: Protection[];
}

/** How often the kernel's rules are compared with the agent's, off the converge path. */
const VERIFY_EVERY_MS = 60_000;

export interface ContainerGuards {
  /** Absent only when a measurement leaves the rules out. */
  isolation?: NodeIsolation;
  networks: { host: TenantNetworkHost };
  ephemeral: EphemeralStorageMonitor;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function containerGuards(o: ContainerGuardOptions): ContainerGuards {
  const evictions = new EvictionStore(path.join(o.stateDir, 'evictions.json'));
  const isolation = o.measureWithout?.includes('rules')
    ? undefined
    : new NodeIsolation({
        controller: o.controller,
        address: o.address,
        protectedNetworks: o.protectedNetworks,
        egress: o.containerEgress,
        agentPublishes: o.agentPublishes,
        storageHost: o.storageHost,
        log: o.log,
        stateFile: path.join(o.stateDir, 'isolation.json'),
      });
  const ephemeral = new EphemeralStorageMonitor({
    docker: o.docker,
    runtime: o.runtime,
    evictions,
    intervalMs: o.storageCheckIntervalMs,
    onEvicted: o.trigger,
    log: o.log,
  });
  const networks = new PooledNetworks({
    networks: new DockerNetworks(o.docker, o.nodeName),
    stateFile: path.join(o.stateDir, 'tenant-networks.json'),
    log: o.log,
  });
  let verifier: NodeJS.Timeout | undefined;
  return {
    isolation,
    networks: { host: networks },
    ephemeral,
    async start() {
      // After a reboot the engine restarts containers before any desired state arrives: the
      // rules go in at once. A failure here is retried by every converge pass, which then
      // starts nothing until it succeeds.
      await isolation?.ensure().catch((err: unknown) => o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'isolation rules not in place'));
      await evictions.load();
      await networks.load();
      ephemeral.start();
      if (!isolation) return;
      verifier = setInterval(() => {
        isolation.verify().catch((err: unknown) => o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'isolation rules not in place'));
      }, VERIFY_EVERY_MS);
      verifier.unref();
    },
    async stop() {
      clearInterval(verifier);
      await ephemeral.stop();
    },
  };
}
