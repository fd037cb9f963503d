// `berth controller`: the management node alone. Flags win over environment variables, which
// win over the config file (YAML, --config or BERTH_CONTROLLER_CONFIG), which win over defaults.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isIPv4 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { BerthError } from '../errors/index.ts';
import { reuseOrIssueAdminToken } from '../auth/index.ts';
import { readClientConfig, writeClientConfig } from '../cli/config.ts';
import { startController } from './start-controller.ts';
import { createLogger } from './logger.ts';
import { resolveAccountsConfig } from './accounts-config.ts';
import { resolveStorageSettings, type StorageFlags } from '../storage/storage-settings.ts';
import { DEFAULT_CONFIG, type NatMode } from './config.ts';
import { resolveApiTls } from './api-tls-settings.ts';
import { caPaths, certificateFingerprint, formatFingerprint } from '../pki/index.ts';
import { parseDurationMs } from '../manifests/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import type { PortRange } from '../ports/index.ts';
import type { PrismaClient as Db } from '../store/index.ts';

export interface ControllerFlags extends StorageFlags {
  dataDir?: string;
  port?: number;
  grpcPort?: number;
  host?: string;
  publicAddress?: string;
  databaseUrl?: string;
  nat?: string;
  scheduler?: string;
  nodeGrace?: string;
  heartbeatInterval?: string;
  tls?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSan?: string;
  agentsBehindNat?: boolean | string;
  config?: string;
}

const ENV: Record<keyof Omit<ControllerFlags, 'config' | keyof StorageFlags>, string> = {
  dataDir: 'BERTH_DATA_DIR',
  port: 'BERTH_PORT',
  grpcPort: 'BERTH_GRPC_PORT',
  host: 'BERTH_HOST',
  publicAddress: 'BERTH_PUBLIC_ADDRESS',
  databaseUrl: 'DATABASE_URL',
  nat: 'BERTH_NAT',
  scheduler: 'BERTH_SCHEDULER',
  nodeGrace: 'BERTH_NODE_GRACE',
  heartbeatInterval: 'BERTH_HEARTBEAT_INTERVAL',
  tls: 'BERTH_TLS',
  tlsCert: 'BERTH_TLS_CERT',
  tlsKey: 'BERTH_TLS_KEY',
  tlsSan: 'BERTH_TLS_SAN',
  agentsBehindNat: 'BERTH_AGENTS_BEHIND_NAT',
};

const STRATEGIES: readonly Strategy[] = ['min-ram-ratio', 'binpack', 'spread'];

export function resolveControllerSettings(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env) {
  const file = flags.config ?? env.BERTH_CONTROLLER_CONFIG;
  const fromFile = file ? (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown> : {};
  const pick = (key: keyof typeof ENV) => flags[key] ?? env[ENV[key]] ?? fromFile[key];
  const port = (key: 'port' | 'grpcPort', fallback: number) => {
    const v = pick(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BerthError('Invalid', `${key}: must be a port number, got "${v}"`, key);
    return n;
  };
  const publicAddress = String(pick('publicAddress') ?? '127.0.0.1');
  if (!isIPv4(publicAddress)) throw new BerthError('Invalid', `public-address: must be an IPv4 address, got "${publicAddress}"`, 'publicAddress');
  const nat = String(pick('nat') ?? 'auto');
  if (!['auto', 'iptables', 'userspace'].includes(nat)) throw new BerthError('Invalid', `nat: must be auto, iptables or userspace, got "${nat}"`, 'nat');
  const host = String(pick('host') ?? '0.0.0.0');
  const text = (key: 'tls' | 'tlsCert' | 'tlsKey' | 'tlsSan') => {
    const v = pick(key);
    return v === undefined || v === '' ? undefined : Array.isArray(v) ? v.join(',') : String(v);
  };
  const apiTls = resolveApiTls({ tls: text('tls'), tlsCert: text('tlsCert'), tlsKey: text('tlsKey'), tlsSan: text('tlsSan') }, host);
  const strategy = String(pick('scheduler') ?? DEFAULT_CONFIG.strategy) as Strategy;
  if (!STRATEGIES.includes(strategy)) throw new BerthError('Invalid', `scheduler: must be one of ${STRATEGIES.join(', ')}, got "${strategy}"`, 'scheduler');
  const duration = (key: 'nodeGrace' | 'heartbeatInterval', fallback: number) => {
    const v = pick(key);
    if (v === undefined) return fallback;
    const ms = parseDurationMs(String(v));
    if (ms === undefined || ms <= 0) throw new BerthError('Invalid', `${key}: must be a duration such as 3s or 1m, got "${v}"`, key);
    return ms;
  };
  const nodeGraceMs = duration('nodeGrace', DEFAULT_CONFIG.nodeGraceMs);
  // Several heartbeats fit in one grace period, so one lost beat does not mark a node NotReady.
  const heartbeatIntervalMs = duration('heartbeatInterval', Math.min(DEFAULT_CONFIG.heartbeatIntervalMs, Math.max(250, Math.floor(nodeGraceMs / 4))));
  const nat4Agents = String(pick('agentsBehindNat') ?? 'false');
  if (!['true', 'false'].includes(nat4Agents)) throw new BerthError('Invalid', `agents-behind-nat: must be true or false, got "${nat4Agents}"`, 'agentsBehindNat');
  return {
    ...resolveTuning(env, fromFile),
    agentsBehindNat: nat4Agents === 'true',
    dataDir: path.resolve(String(pick('dataDir') ?? '/var/lib/berth')),
    httpHost: host,
    httpPort: port('port', 7070),
    apiTls,
    grpcHost: host,
    grpcPort: port('grpcPort', 7071),
    publicAddress,
    databaseUrl: pick('databaseUrl') as string | undefined,
    natMode: nat as NatMode,
    natChainPrefix: env.BERTH_NAT_CHAIN_PREFIX ?? 'BERTH',
    accounts: resolveAccountsConfig(env, fromFile),
    storage: resolveStorageSettings(flags, env, fromFile),
    strategy,
    nodeGraceMs,
    heartbeatIntervalMs,
  };
}

/**
 * Settings of the control loops (env or the YAML keys in parentheses): BERTH_METRICS_SAMPLE_MS
 * (metricsSampleMs), BERTH_PULL_FAILURE_TIMEOUT (pullFailureTimeout), BERTH_UNHEALTHY_THRESHOLD
 * (unhealthyThreshold), BERTH_EVICTION_RATE and BERTH_DISRUPTED_EVICTION_RATE (node evacuations
 * per second), BERTH_SHUTDOWN_TIMEOUT (shutdownTimeout), BERTH_PUBLIC_PORTS (publicPorts: the
 * cluster's public port range, e.g. 30000-32767), BERTH_NODE_PORTS (nodePorts: each node's range),
 * BERTH_HEAP_GROWTH (heapGrowth: percent the JS heap may grow past its live size between full GCs).
 * BERTH_JOIN_TOKEN_TTL (joinTokenTtl: the bootstrap token written to DATA_DIR/join-token),
 * BERTH_NODE_CERT_TTL (nodeCertTtl: node client certificates; agents renew at two thirds).
 * A bad value is an error naming it.
 */
export function resolveTuning(env: NodeJS.ProcessEnv, fromFile: Record<string, unknown> = {}) {
  const raw = (envKey: string, fileKey: string) => env[envKey] ?? (fromFile[fileKey] as string | number | undefined);
  const duration = (envKey: string, fileKey: string, fallback: number) => {
    const v = raw(envKey, fileKey);
    if (v === undefined || v === '') return fallback;
    const ms = parseDurationMs(String(v));
    if (ms === undefined || ms <= 0) throw new BerthError('Invalid', `${envKey}: must be a duration such as 30s or 5m, got "${v}"`, fileKey);
    return ms;
  };
  const number = (envKey: string, fileKey: string, fallback: number, ok: (n: number) => boolean, what: string) => {
    const v = raw(envKey, fileKey);
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new BerthError('Invalid', `${envKey}: must be ${what}, got "${v}"`, fileKey);
    return n;
  };
  const range = (envKey: string, fileKey: string, fallback: PortRange): PortRange => {
    const v = raw(envKey, fileKey);
    if (v === undefined || v === '') return fallback;
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(String(v).trim());
    const r = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
    if (!r || r.min < 1 || r.max > 65535 || r.min > r.max) throw new BerthError('Invalid', `${envKey}: must be a port range such as 30000-32767, got "${v}"`, fileKey);
    return r;
  };
  const portRanges = { nat: range('BERTH_PUBLIC_PORTS', 'publicPorts', DEFAULT_CONFIG.portRanges.nat), node: range('BERTH_NODE_PORTS', 'nodePorts', DEFAULT_CONFIG.portRanges.node) };
  return {
    portRanges,
    metricsSampleMs: number('BERTH_METRICS_SAMPLE_MS', 'metricsSampleMs', DEFAULT_CONFIG.metricsSampleMs, (n) => Number.isInteger(n) && n >= 100, 'a whole number of milliseconds of at least 100'),
    pullFailureTimeoutMs: duration('BERTH_PULL_FAILURE_TIMEOUT', 'pullFailureTimeout', DEFAULT_CONFIG.pullFailureTimeoutMs),
    shutdownTimeoutMs: duration('BERTH_SHUTDOWN_TIMEOUT', 'shutdownTimeout', DEFAULT_CONFIG.shutdownTimeoutMs),
    heapGrowthPercent: number('BERTH_HEAP_GROWTH', 'heapGrowth', DEFAULT_CONFIG.heapGrowthPercent, (n) => Number.isInteger(n) && n >= 0 && n <= 300, 'a whole percentage from 0 (V8 decides) to 300'),
    joinTokenTtlMs: duration('BERTH_JOIN_TOKEN_TTL', 'joinTokenTtl', DEFAULT_CONFIG.joinTokenTtlMs),
    nodeCertTtlMs: duration('BERTH_NODE_CERT_TTL', 'nodeCertTtl', DEFAULT_CONFIG.nodeCertTtlMs),
    disruption: {
      unhealthyThreshold: number('BERTH_UNHEALTHY_THRESHOLD', 'unhealthyThreshold', DEFAULT_CONFIG.disruption.unhealthyThreshold, (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
      normalRate: number('BERTH_EVICTION_RATE', 'evictionRate', DEFAULT_CONFIG.disruption.normalRate, (n) => n > 0, 'a positive number of nodes per second'),
      disruptedRate: number('BERTH_DISRUPTED_EVICTION_RATE', 'disruptedEvictionRate', DEFAULT_CONFIG.disruption.disruptedRate, (n) => n >= 0, 'a number of nodes per second, 0 or more'),
    },
  };
}

/**
 * Keeps the admin client config of an earlier start while its token is valid; writes a fresh one
 * (token valid for ttlMs) otherwise. The file is 0600: it holds an admin token.
 */
export async function ensureAdminConfig(db: Db, file: string, server: string, ttlMs?: number, ca?: string): Promise<void> {
  let previous: string | undefined;
  try {
    previous = readClientConfig(file)?.token;
  } catch {
    previous = undefined;
  }
  writeClientConfig(file, { server, token: await reuseOrIssueAdminToken(db, previous, Date.now(), ttlMs), user: 'admin', ca });
}

export async function runController(flags: ControllerFlags): Promise<void> {
  const settings = resolveControllerSettings(flags);
  const log = createLogger();
  const controller = await startController({ ...settings, log });
  const clientHost = ['0.0.0.0', '::'].includes(settings.httpHost) ? '127.0.0.1' : settings.httpHost;
  const scheme = settings.apiTls.mode === 'off' ? 'http' : 'https';
  const adminServer = `${scheme}://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${controller.config.httpPort}`;
  await ensureAdminConfig(controller.store.db, path.join(settings.dataDir, 'berth.config'), adminServer, settings.accounts.adminTokenTtlMs, controller.caPem)
    .catch((err: unknown) => {
      // A customer holding the admin's name is not promoted; the cluster still serves, and an
      // admin can be created with `berth admin create-user NAME --admin`.
      if (!(err instanceof BerthError) || err.code !== 'Conflict') throw err;
      log.error({ err: err.message }, 'no bootstrap admin token written');
    });
  process.stdout.write(`Berth controller listening on ${controller.url} (agents: ${controller.grpcAddress}); join token in ${path.join(settings.dataDir, 'join-token')}\n`);
  process.stdout.write(`${apiTrustLine(settings.apiTls.mode, settings.dataDir, controller.caPem)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  exitWithin(settings.shutdownTimeoutMs + 2_000, log);
  await controller.stop();
  // Everything is closed or abandoned: a socket of an unreachable node must not keep us alive.
  process.exit(0);
}

/** What clients must trust, for the start-up output: admins hand this CA to their users. */
function apiTrustLine(mode: string, dataDir: string, caPem: string | undefined): string {
  if (mode === 'off') return 'API over plain HTTP (tls off): reachable on loopback only';
  if (mode === 'files') return `API over HTTPS with the certificate from --tls-cert${caPem ? ` (CA sha256 ${formatFingerprint(certificateFingerprint(caPem))})` : ''}`;
  return `API over HTTPS; clients trust the Berth CA in ${caPaths(dataDir).cert} (sha256 ${formatFingerprint(certificateFingerprint(caPem!))}), also printed by \`berth config ca\``;
}

/** The orderly stop has a deadline of its own; this is the guarantee behind it. */
export function exitWithin(ms: number, log: { error: (o: object, m: string) => void }): void {
  setTimeout(() => {
    log.error({ afterMs: ms }, 'shutdown took too long; exiting');
    process.exit(1);
  }, ms).unref();
}
