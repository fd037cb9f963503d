import type { PortRanges } from '../ports/index.ts';
import { DEFAULT_PORT_RANGES } from '../ports/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import { DEFAULT_ACCOUNTS_CONFIG, type AccountsConfig } from './accounts-config.ts';
import type { StorageSettings } from '../storage/storage-settings.ts';
import { DEFAULT_DISRUPTION_POLICY, type DisruptionPolicy } from '../reconcile/eviction-limiter.ts';
import { DEFAULT_PULL_FAILURE_TIMEOUT_MS } from '../reconcile/reservation-plan.ts';
import type { ApiTlsSettings } from './api-tls-settings.ts';
export type NatMode = 'auto' | 'iptables' | 'userspace';

export interface ControllerConfig {
  dataDir: string;
  databaseUrl?: string;
  httpHost: string;
  httpPort: number;
  /** HTTPS for the API and dashboard (see api-tls-settings.ts); `off` only on loopback. */
  apiTls: ApiTlsSettings;
  grpcHost: string;
  grpcPort: number;
  /** Address customers connect to; endpoints are `publicAddress:natPort`. */
  publicAddress: string;
  natMode: NatMode;
  natChainPrefix: string;
  strategy: Strategy;
  portRanges: PortRanges;
  /** A start this far in the past is still accepted (clock skew, slow typing). */
  startToleranceMs: number;
  maxDurationMs: number;
  heartbeatIntervalMs: number;
  /** A node with no heartbeat for this long is NotReady (Nomad: 10 s TTL + 10 s grace). */
  nodeGraceMs: number;
  bodyLimitBytes: number;
  /** The storage node of the remote profile; remote reservations cannot start without it. */
  storage?: StorageSettings;
  /** Token lifetime, login throttling and default quotas. */
  accounts: AccountsConfig;
  /** How long an image pull may keep failing before the reservation is Failed (capacity freed). */
  pullFailureTimeoutMs: number;
  /** How fast NotReady nodes are emptied, and the brake when many go NotReady at once. */
  disruption: DisruptionPolicy;
  /** How often node heartbeats are sampled into the metrics history. */
  metricsSampleMs: number;
  /** SIGTERM: in-flight work, streams and the store get this long in all. */
  shutdownTimeoutMs: number;
  /**
   * How far V8 lets the heap grow past what the last full GC kept, in percent (0: V8's own
   * adaptive factor, up to 4x under a high allocation rate, which let a 150 MB live heap take
   * 600 MB). Bounds the controller's memory at some GC time.
   */
  heapGrowthPercent: number;
  /** Lifetime of the bootstrap token a start writes to DATA_DIR/join-token (and the CLI's default). */
  joinTokenTtlMs: number;
  /** Lifetime of a node's client certificate; agents renew at two thirds of it. */
  nodeCertTtlMs: number;
  /** Agents reach the controller through NAT: their registered address need not be their source. */
  agentsBehindNat: boolean;
}

export const DEFAULT_CONFIG: Omit<ControllerConfig, 'dataDir'> = {
  httpHost: '127.0.0.1',
  httpPort: 7070,
  apiTls: { mode: 'ca', extraNames: [] },
  grpcHost: '127.0.0.1',
  grpcPort: 7071,
  publicAddress: '127.0.0.1',
  natMode: 'auto',
  natChainPrefix: 'BERTH',
  strategy: 'min-ram-ratio',
  portRanges: DEFAULT_PORT_RANGES,
  startToleranceMs: 60_000,
  maxDurationMs: 30 * 86_400_000,
  heartbeatIntervalMs: 5_000,
  nodeGraceMs: 20_000,
  bodyLimitBytes: 1024 * 1024,
  accounts: DEFAULT_ACCOUNTS_CONFIG,
  pullFailureTimeoutMs: DEFAULT_PULL_FAILURE_TIMEOUT_MS,
  disruption: DEFAULT_DISRUPTION_POLICY,
  metricsSampleMs: 10_000,
  shutdownTimeoutMs: 8_000,
  heapGrowthPercent: 100,
  joinTokenTtlMs: 24 * 3_600_000,
  nodeCertTtlMs: 30 * 86_400_000,
  agentsBehindNat: false,
};
