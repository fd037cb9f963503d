import type { PortRanges } from '../ports/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import type { AccountsConfig } from './accounts-config.ts';
import type { StorageSettings } from './storage-settings.ts';
import type { DisruptionPolicy } from '../reconcile/eviction-limiter.ts';
import type { ApiTlsSettings } from './api-tls-settings.ts';
import type { ExecLimits } from '../exec/index.ts';
import { resolveControllerConfig } from './controller-config.ts';
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
  /** berth exec: default and longest time limit, and the idle limit (absent: exec/'s defaults). */
  exec?: ExecLimits;
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
  /** A bootstrap token to use instead of generating one (registered if new). */
  joinToken?: string;
  /** Lifetime of a node's client certificate; agents renew at two thirds of it. */
  nodeCertTtlMs: number;
  /** Agents reach the controller through NAT: their registered address need not be their source. */
  agentsBehindNat: boolean;
  /** Webhook deliveries: networks allowed despite the SSRF guard, attempt deadline, retries. */
  webhooks: { allowNetworks: string[]; timeoutMs: number; retryBaseMs: number; maxAttempts: number };
}

/**
 * startController's defaults: the settings table's (../settings/table.ts), except that an
 * embedded controller (tests, `berth dev`) listens on loopback; `berth controller` takes the
 * table's 0.0.0.0 through its settings.
 */
export const DEFAULT_CONFIG: Omit<ControllerConfig, 'dataDir'> = (() => {
  const { dataDir: _dataDir, logLevel: _logLevel, ...fromTable } = resolveControllerConfig({});
  return {
    ...fromTable,
    httpHost: '127.0.0.1',
    grpcHost: '127.0.0.1',
    startToleranceMs: 60_000,
    maxDurationMs: 30 * 86_400_000,
    bodyLimitBytes: 1024 * 1024,
  };
})();
