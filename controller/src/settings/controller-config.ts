// Resolved settings (flat, as in table.ts) into the controller's configuration (nested, as
// startController takes it), with the checks that span several settings (TLS, the storage node).
import type { ControllerConfig } from './config.ts';
import { resolveApiTls } from './api-tls-settings.ts';
import { storageSettingsFrom } from './storage-settings.ts';
import { accountsFrom } from './accounts-config.ts';
import { resolveSettings, CONTROLLER_PROFILE, type Profile, type Sources } from './resolve.ts';
import type { Settings } from './table.ts';
import { BerthError } from '../errors/index.ts';
import { EXEC_MAX_TIMEOUT_MS } from '@berth/proto';
import type { ExecLimits } from '../exec/index.ts';

export type ResolvedControllerConfig = Omit<ControllerConfig, 'startToleranceMs' | 'maxDurationMs' | 'bodyLimitBytes'> & { logLevel: string };

export function controllerConfigFrom(s: Settings): ResolvedControllerConfig {
  const apiTls = resolveApiTls({ tls: s.tls, tlsCert: s.tlsCert, tlsKey: s.tlsKey, tlsSan: s.tlsSan }, s.host);
  // Several heartbeats fit in one grace period, so one lost beat does not mark a node NotReady.
  const heartbeatIntervalMs = s.heartbeatInterval ?? Math.min(5_000, Math.max(250, Math.floor(s.nodeGrace / 4)));
  return {
    dataDir: s.dataDir,
    databaseUrl: s.databaseUrl,
    httpHost: s.host,
    httpPort: s.port,
    apiTls,
    grpcHost: s.host,
    grpcPort: s.grpcPort,
    publicAddress: s.publicAddress,
    natMode: s.nat,
    natChainPrefix: s.natChainPrefix,
    strategy: s.scheduler,
    portRanges: { nat: s.publicPorts, node: s.nodePorts },
    heartbeatIntervalMs,
    nodeGraceMs: s.nodeGrace,
    storage: storageSettingsFrom(s),
    accounts: accountsFrom(s),
    pullFailureTimeoutMs: s.pullFailureTimeout,
    disruption: { unhealthyThreshold: s.unhealthyThreshold, normalRate: s.evictionRate, disruptedRate: s.disruptedEvictionRate },
    metricsSampleMs: s.metricsSampleMs,
    exec: execLimitsFrom(s),
    shutdownTimeoutMs: s.shutdownTimeout,
    heapGrowthPercent: s.heapGrowth,
    joinTokenTtlMs: s.joinTokenTtl,
    ...(s.joinToken ? { joinToken: s.joinToken } : {}),
    nodeCertTtlMs: s.nodeCertTtl,
    agentsBehindNat: s.agentsBehindNat,
    webhooks: { allowNetworks: s.webhookAllowNetworks, timeoutMs: s.webhookTimeout, retryBaseMs: s.webhookRetryBase, maxAttempts: s.webhookMaxAttempts },
    logLevel: s.logLevel,
  };
}

/** Sources → the controller's configuration, under a profile (`berth controller` or `berth dev`). */
export function resolveControllerConfig(src: Sources, profile: Profile = CONTROLLER_PROFILE): ResolvedControllerConfig {
  return controllerConfigFrom(resolveSettings(src, profile));
}

/** The exec limits, checked against each other and against what agents enforce (7 days). */
function execLimitsFrom(s: Settings): ExecLimits {
  if (s.execMaxTimeout > EXEC_MAX_TIMEOUT_MS)
    throw new BerthError('Invalid', 'exec-max-timeout: must be at most 7d (agents end every exec then)', 'execMaxTimeout');
  if (s.execTimeout > s.execMaxTimeout) throw new BerthError('Invalid', 'exec-timeout: must not exceed exec-max-timeout', 'execTimeout');
  return { defaultTimeoutMs: s.execTimeout, maxTimeoutMs: s.execMaxTimeout, idleTimeoutMs: s.execIdleTimeout };
}
