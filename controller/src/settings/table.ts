// Every setting of the controller, declared once: its YAML key (also its name in the resolved
// settings; the flag is the key in kebab-case), its environment variable, default, parser and
// help. `berth controller` and `berth dev` build their options from this table, `berth admin`
// takes the data dir, database URL and admin token lifetime from it (with the same --config
// file), and the README's settings list is generated from it (see options.ts). Precedence:
// flag > environment > YAML config file > default.
import { DEFAULT_NAT_PORTS, DEFAULT_NODE_PORTS } from '../ports/pick-port.ts';
import { DEFAULT_DISRUPTION_POLICY } from '../reconcile/eviction-limiter.ts';
import { DEFAULT_PULL_FAILURE_TIMEOUT_MS } from '../reconcile/reservation-plan.ts';
import { DEFAULT_USER_LIMIT } from '../auth/login-limiter.ts';
import { DEFAULT_SIGNUP_LIMIT } from '../auth/signup-limiter.ts';
import { DEFAULT_ADMIN_TOKEN_TTL_MS } from '../auth/admin-token.ts';
import { absolutePath, bool, duration, ipv4, networkList, num, oneOf, port, portRange, positiveInt, text, type Kind } from './kinds.ts';
import { DEFAULT_RETRY_POLICY } from '../webhooks/retry-plan.ts';

export type Group = 'server' | 'tls' | 'scheduling' | 'nodes' | 'accounts' | 'storage' | 'operations';

export interface Setting<T> {
  env: string;
  kind: Kind<T>;
  /** undefined: unset unless given (defaultText says what that means). */
  default: T;
  defaultText?: string;
  help: string;
  group: Group;
  /** Accepted only to explain that it is gone; not listed in help. */
  hidden?: boolean;
}

function setting<T>(s: Omit<Setting<T>, 'default'> & { default: NoInfer<T> }): Setting<T>;
function setting<T>(s: Omit<Setting<T>, 'default'> & { default?: undefined }): Setting<T | undefined>;
function setting(s: unknown): unknown {
  return s;
}

export const STRATEGIES = ['min-ram-ratio', 'binpack', 'spread'] as const;
export const NAT_MODES = ['auto', 'iptables', 'userspace'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SETTINGS = {
  dataDir: setting({
    env: 'BERTH_DATA_DIR',
    kind: absolutePath,
    default: '/var/lib/berth',
    group: 'server',
    help: 'state directory: the SQLite store, the CA, tokens and keys',
  }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    kind: text('url'),
    defaultText: 'SQLite in the data dir',
    group: 'server',
    help: 'postgresql://... to keep the state in PostgreSQL',
  }),
  host: setting({ env: 'BERTH_HOST', kind: text('addr'), default: '0.0.0.0', group: 'server', help: 'address the API and the agent endpoint listen on' }),
  port: setting({ env: 'BERTH_PORT', kind: port, default: 7070, group: 'server', help: 'API and dashboard port' }),
  grpcPort: setting({ env: 'BERTH_GRPC_PORT', kind: port, default: 7071, group: 'server', help: 'agent endpoint port' }),
  publicAddress: setting({ env: 'BERTH_PUBLIC_ADDRESS', kind: ipv4, default: '127.0.0.1', group: 'server', help: 'public IPv4 address customers connect to' }),
  nat: setting({
    env: 'BERTH_NAT',
    kind: oneOf(NAT_MODES),
    default: 'auto',
    group: 'server',
    help: 'how endpoints reach nodes: iptables (root), a userspace forwarder, or auto',
  }),
  natChainPrefix: setting({
    env: 'BERTH_NAT_CHAIN_PREFIX',
    kind: text('name'),
    default: 'BERTH',
    group: 'server',
    help: 'prefix of the iptables chains the controller owns',
  }),
  logLevel: setting({ env: 'BERTH_LOG_LEVEL', kind: oneOf(LOG_LEVELS), default: 'info', group: 'server', help: 'log level' }),

  tls: setting({
    env: 'BERTH_TLS',
    kind: oneOf(['auto', 'off'] as const),
    default: 'auto',
    group: 'tls',
    help: 'auto: HTTPS with a certificate from the Berth CA or --tls-cert; off: plain HTTP, loopback --host only',
  }),
  tlsCert: setting({ env: 'BERTH_TLS_CERT', kind: text('file'), group: 'tls', help: 'API certificate chain (PEM) instead of one from the Berth CA' }),
  tlsKey: setting({ env: 'BERTH_TLS_KEY', kind: text('file'), group: 'tls', help: 'private key of --tls-cert' }),
  tlsSan: setting({
    env: 'BERTH_TLS_SAN',
    kind: text('names'),
    group: 'tls',
    help: 'extra host names/addresses for the Berth-CA certificate, comma-separated',
  }),

  scheduler: setting({ env: 'BERTH_SCHEDULER', kind: oneOf(STRATEGIES), default: 'min-ram-ratio', group: 'scheduling', help: 'placement strategy' }),
  publicPorts: setting({
    env: 'BERTH_PUBLIC_PORTS',
    kind: portRange,
    default: DEFAULT_NAT_PORTS,
    group: 'scheduling',
    help: "the cluster's public port range",
  }),
  nodePorts: setting({ env: 'BERTH_NODE_PORTS', kind: portRange, default: DEFAULT_NODE_PORTS, group: 'scheduling', help: "each node's port range" }),
  pullFailureTimeout: setting({
    env: 'BERTH_PULL_FAILURE_TIMEOUT',
    kind: duration,
    default: DEFAULT_PULL_FAILURE_TIMEOUT_MS,
    group: 'scheduling',
    help: 'an image pull failing this long fails the reservation',
  }),

  nodeGrace: setting({
    env: 'BERTH_NODE_GRACE',
    kind: duration,
    default: 20_000,
    group: 'nodes',
    help: 'a node is NotReady after this long without a heartbeat',
  }),
  heartbeatInterval: setting({
    env: 'BERTH_HEARTBEAT_INTERVAL',
    kind: duration,
    defaultText: 'a quarter of the node grace, at most 5s',
    group: 'nodes',
    help: 'agent heartbeat interval',
  }),
  unhealthyThreshold: setting({
    env: 'BERTH_UNHEALTHY_THRESHOLD',
    kind: num('a fraction in (0, 1]', (n) => n > 0 && n <= 1, 'fraction'),
    default: DEFAULT_DISRUPTION_POLICY.unhealthyThreshold,
    group: 'nodes',
    help: 'this share of nodes NotReady at once slows evictions to the disrupted rate',
  }),
  evictionRate: setting({
    env: 'BERTH_EVICTION_RATE',
    kind: num('a positive number of nodes per second', (n) => n > 0, 'per-second'),
    default: DEFAULT_DISRUPTION_POLICY.normalRate,
    group: 'nodes',
    help: 'NotReady nodes emptied per second',
  }),
  disruptedEvictionRate: setting({
    env: 'BERTH_DISRUPTED_EVICTION_RATE',
    kind: num(
      'a number of nodes per second, 0 or more',
      (n) => n >= 0,
      'per-second',
      (n) => String(Number(n.toPrecision(3))),
    ),
    default: DEFAULT_DISRUPTION_POLICY.disruptedRate,
    group: 'nodes',
    help: 'nodes emptied per second while many are NotReady',
  }),
  joinTokenTtl: setting({
    env: 'BERTH_JOIN_TOKEN_TTL',
    kind: duration,
    default: 24 * 3_600_000,
    group: 'nodes',
    help: 'lifetime of the bootstrap token written to DATA_DIR/join-token',
  }),
  joinToken: setting({
    env: 'BERTH_JOIN_TOKEN',
    kind: text('token'),
    defaultText: 'a new token, kept in DATA_DIR/join-token',
    group: 'nodes',
    help: 'bootstrap token (<id>.<secret> or K10...::<id>.<secret>) to write to DATA_DIR/join-token; set it in the environment, a flag shows in ps',
  }),
  nodeCertTtl: setting({
    env: 'BERTH_NODE_CERT_TTL',
    kind: duration,
    default: 30 * 86_400_000,
    group: 'nodes',
    help: 'lifetime of node client certificates (agents renew at two thirds)',
  }),
  agentsBehindNat: setting({
    env: 'BERTH_AGENTS_BEHIND_NAT',
    kind: bool,
    default: false,
    group: 'nodes',
    help: 'accept agents whose registered address is not the address they connect from',
  }),

  tokenTtl: setting({ env: 'BERTH_TOKEN_TTL', kind: duration, default: 7 * 86_400_000, group: 'accounts', help: 'lifetime of tokens from signup and login' }),
  adminTokenTtl: setting({
    env: 'BERTH_ADMIN_TOKEN_TTL',
    kind: duration,
    default: DEFAULT_ADMIN_TOKEN_TTL_MS,
    group: 'accounts',
    help: 'lifetime of the bootstrap admin token in DATA_DIR/berth.config',
  }),
  loginMaxFailures: setting({
    env: 'BERTH_LOGIN_MAX_FAILURES',
    kind: positiveInt,
    default: DEFAULT_USER_LIMIT.maxFailures,
    group: 'accounts',
    help: 'failed logins in 15 minutes that lock a username out',
  }),
  loginLockout: setting({
    env: 'BERTH_LOGIN_LOCKOUT',
    kind: duration,
    default: DEFAULT_USER_LIMIT.lockoutMs,
    group: 'accounts',
    help: 'how long a locked-out username or source waits',
  }),
  signupLimit: setting({
    env: 'BERTH_SIGNUP_LIMIT',
    kind: positiveInt,
    default: DEFAULT_SIGNUP_LIMIT.max,
    group: 'accounts',
    help: 'accounts one source address may create per hour',
  }),
  quotaMaxCores: setting({
    env: 'BERTH_QUOTA_MAX_CORES',
    kind: positiveInt,
    default: 16,
    group: 'accounts',
    help: "default quota: a customer's concurrent cores",
  }),
  quotaMaxDuration: setting({
    env: 'BERTH_QUOTA_MAX_DURATION',
    kind: duration,
    default: 7 * 86_400_000,
    group: 'accounts',
    help: 'default quota: longest reservation',
  }),
  quotaMaxAdvance: setting({
    env: 'BERTH_QUOTA_MAX_ADVANCE',
    kind: duration,
    default: 30 * 86_400_000,
    group: 'accounts',
    help: 'default quota: how far ahead a reservation may start',
  }),
  quotaMaxReservations: setting({
    env: 'BERTH_QUOTA_MAX_RESERVATIONS',
    kind: positiveInt,
    default: 50,
    group: 'accounts',
    help: "default quota: a customer's concurrent reservations",
  }),
  quotaMaxPublicPorts: setting({
    env: 'BERTH_QUOTA_MAX_PUBLIC_PORTS',
    kind: positiveInt,
    default: 100,
    group: 'accounts',
    help: "default quota: a customer's concurrent published ports",
  }),

  storageHost: setting({
    env: 'BERTH_STORAGE_HOST',
    kind: text('host'),
    defaultText: 'none: no remote profile',
    group: 'storage',
    help: 'storage node of the remote profile, reached over ssh/sftp',
  }),
  storagePort: setting({ env: 'BERTH_STORAGE_PORT', kind: port, default: 22, group: 'storage', help: 'ssh port of the storage node' }),
  storageUser: setting({
    env: 'BERTH_STORAGE_USER',
    kind: text('user'),
    default: 'berth-admin',
    group: 'storage',
    help: 'admin account on the storage node, runs only its helper (never root)',
  }),
  storageKey: setting({
    env: 'BERTH_STORAGE_KEY',
    kind: text('file'),
    group: 'storage',
    help: 'private key of that admin account; it never leaves the controller',
  }),
  storagePath: setting({
    env: 'BERTH_STORAGE_PATH',
    kind: text('dir'),
    group: 'storage',
    hidden: true,
    help: 'removed: the base directory is set on the storage node',
  }),

  execTimeout: setting({
    env: 'BERTH_EXEC_TIMEOUT',
    kind: duration,
    default: 3600_000,
    group: 'operations',
    help: 'berth exec: how long a command may run when the client asks no --timeout',
  }),
  execMaxTimeout: setting({
    env: 'BERTH_EXEC_MAX_TIMEOUT',
    kind: duration,
    default: 24 * 3600_000,
    group: 'operations',
    help: 'berth exec: the longest --timeout a client may ask for (at most 7d)',
  }),
  execIdleTimeout: setting({
    env: 'BERTH_EXEC_IDLE_TIMEOUT',
    kind: duration,
    default: 30 * 60_000,
    group: 'operations',
    help: 'berth exec: a command with no input and no output for this long is ended',
  }),
  metricsSampleMs: setting({
    env: 'BERTH_METRICS_SAMPLE_MS',
    kind: num('a whole number of milliseconds of at least 100', (n) => Number.isInteger(n) && n >= 100, 'ms'),
    default: 10_000,
    group: 'operations',
    help: 'how often node heartbeats are sampled into the metrics history',
  }),
  shutdownTimeout: setting({
    env: 'BERTH_SHUTDOWN_TIMEOUT',
    kind: duration,
    default: 8_000,
    group: 'operations',
    help: 'on SIGTERM, in-flight work, streams and the store get this long in all',
  }),
  webhookAllowNetworks: setting({
    env: 'BERTH_WEBHOOK_ALLOW_NETWORKS',
    kind: networkList,
    default: [],
    defaultText: 'none',
    group: 'operations',
    help: 'private/loopback networks webhooks may be delivered to (never the nodes), e.g. 10.20.0.0/16',
  }),
  webhookTimeout: setting({
    env: 'BERTH_WEBHOOK_TIMEOUT',
    kind: duration,
    default: 5_000,
    group: 'operations',
    help: 'a webhook delivery attempt gets this long for an answer',
  }),
  webhookRetryBase: setting({
    env: 'BERTH_WEBHOOK_RETRY_BASE',
    kind: duration,
    default: DEFAULT_RETRY_POLICY.baseMs,
    group: 'operations',
    help: 'first retry delay of a failed webhook delivery; doubles per attempt, at most 1h',
  }),
  webhookMaxAttempts: setting({
    env: 'BERTH_WEBHOOK_MAX_ATTEMPTS',
    kind: positiveInt,
    default: DEFAULT_RETRY_POLICY.maxAttempts,
    group: 'operations',
    help: 'attempts of one webhook delivery before it is given up',
  }),
  heapGrowth: setting({
    env: 'BERTH_HEAP_GROWTH',
    kind: num('a whole percentage from 0 (V8 decides) to 300', (n) => Number.isInteger(n) && n >= 0 && n <= 300, 'percent'),
    default: 100,
    group: 'operations',
    help: 'percent the JS heap may grow past its live size between full GCs',
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { -readonly [K in SettingKey]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

/** --flag of a setting: its key in kebab-case (commander maps it back to the key). */
export const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The config file: --config / BERTH_CONTROLLER_CONFIG; every key above may appear in it. */
export const CONFIG_ENV = 'BERTH_CONTROLLER_CONFIG';

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function defaultText(key: SettingKey): string | undefined {
  const s = SETTINGS[key] as Setting<unknown>;
  if (s.defaultText) return s.defaultText;
  return s.default === undefined ? undefined : (s.kind as Kind<unknown>).show(s.default);
}
