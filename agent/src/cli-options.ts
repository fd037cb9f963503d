import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { parseDockerHost } from './runtime/docker-host.ts';
import { canonicalCidr } from './network/isolation-rules.ts';
import { parseProtections } from './protections.ts';
import type { StartAgentOptions } from './agent.ts';
import { JOIN_TOKEN_FORMAT, parseJoinToken } from '@berth/proto';

/** What the command line can set: the settings of startAgent that are plain values. */
export type CliOptions = Pick<
  StartAgentOptions,
  | 'controller'
  | 'joinToken'
  | 'nodeName'
  | 'address'
  | 'dockerHost'
  | 'stateDir'
  | 'capacityCores'
  | 'capacityMemoryMiB'
  | 'metricsPort'
  | 'metricsHost'
  | 'engineCheckIntervalMs'
  | 'protectedNetworks'
  | 'containerEgress'
  | 'storageCheckIntervalMs'
  | 'measureWithout'
  | 'podSandboxImage'
>;

export const USAGE =
  'usage: berth-agent --controller HOST:PORT --join-token TOKEN --node-name NAME --address IP [--docker-host URL] [--state-dir DIR] [--metrics-port N (0 = any, e.g. 9101)] [--metrics-host IP] [--capacity-cores N] [--capacity-memory-mib N] [--engine-check-interval-ms N (default 5000)] [--protected-networks CIDR,...] [--container-egress allow|deny] [--storage-check-interval SECONDS] [--pod-sandbox-image builtin|none|IMAGE (default builtin)] [--measure-without network,rules,hardening (benchmarks only)] [--config FILE]';

/** Keys a config file (--config / BERTH_AGENT_CONFIG, YAML) may use: flag names, kebab-case or camelCase. */
const FILE_KEYS: Record<string, string> = {
  controller: 'controller',
  'join-token': 'joinToken',
  'node-name': 'nodeName',
  address: 'address',
  'docker-host': 'dockerHost',
  'state-dir': 'stateDir',
  'metrics-port': 'metricsPort',
  'metrics-host': 'metricsHost',
  'capacity-cores': 'capacityCores',
  'capacity-memory-mib': 'capacityMemoryMiB',
  'engine-check-interval-ms': 'engineCheckIntervalMs',
  'protected-networks': 'protectedNetworks',
  'container-egress': 'containerEgress',
  'storage-check-interval': 'storageCheckInterval',
  'measure-without': 'measureWithout',
  'pod-sandbox-image': 'podSandboxImage',
};

function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = loadYaml().parse(process.getBuiltinModule('node:fs').readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`cannot read --config ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`bad --config ${file}: expected a YAML mapping`);
  const out: Record<string, string> = {};
  for (const [flag, camel] of Object.entries(FILE_KEYS)) {
    const v = (parsed as Record<string, unknown>)[flag] ?? (parsed as Record<string, unknown>)[camel];
    if (v !== undefined && v !== null) out[flag] = String(v);
  }
  return out;
}

/** Flags win over environment variables, which win over the config file; throws a one-line Error on bad input. */
// yaml loads only when a --config file is given: the agent would otherwise hold it all its life.
const loadYaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    // Built-ins on use, not imported: see pinned-credentials.ts (idle memory).
    ({ values } = process.getBuiltinModule('node:util').parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        controller: { type: 'string' },
        'join-token': { type: 'string' },
        'node-name': { type: 'string' },
        address: { type: 'string' },
        'docker-host': { type: 'string' },
        config: { type: 'string' },
        'capacity-cores': { type: 'string' },
        'capacity-memory-mib': { type: 'string' },
        'engine-check-interval-ms': { type: 'string' },
        'state-dir': { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        'protected-networks': { type: 'string' },
        'container-egress': { type: 'string' },
        'storage-check-interval': { type: 'string' },
        'measure-without': { type: 'string' },
        'pod-sandbox-image': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new Error((err as Error).message.split('\n')[0]);
  }
  if (values.help) throw new Error(USAGE);
  const configFile = (values.config as string | undefined) ?? env.BERTH_AGENT_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  // Flags win over environment variables, which win over the config file.
  const pick = (flag: string, envName: string): string | undefined => {
    const v = (values[flag] as string | undefined) ?? env[envName] ?? fromFile[flag];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const need = (flag: string, envName: string): string => {
    const v = pick(flag, envName);
    if (v === undefined) throw new Error(`missing --${flag} (or ${envName}) - also settable as ${flag} in --config`);
    return v;
  };
  const controller = need('controller', 'BERTH_CONTROLLER');
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/.test(controller) || Number(controller.split(':').pop()) > 65535) {
    throw new Error(`bad --controller ${JSON.stringify(controller)}: expected HOST:PORT`);
  }
  const joinToken = need('join-token', 'BERTH_JOIN_TOKEN');
  if (!parseJoinToken(joinToken)) throw new Error(`bad --join-token: ${JOIN_TOKEN_FORMAT}`);
  const nodeName = need('node-name', 'BERTH_NODE_NAME');
  if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(nodeName)) {
    throw new Error(`bad --node-name ${JSON.stringify(nodeName)}: lowercase letters, digits, '.' and '-', at most 63`);
  }
  const address = need('address', 'BERTH_ADDRESS');
  if (isIP(address) === 0) throw new Error(`bad --address ${JSON.stringify(address)}: expected an IP address`);
  const dockerHost = pick('docker-host', 'DOCKER_HOST');
  if (dockerHost !== undefined) {
    try {
      parseDockerHost(dockerHost);
    } catch (err) {
      throw new Error(`bad --docker-host: ${(err as Error).message}`);
    }
  }
  const metricsPortText = pick('metrics-port', 'BERTH_METRICS_PORT');
  let metricsPort: number | undefined;
  if (metricsPortText !== undefined) {
    metricsPort = Number(metricsPortText);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
      throw new Error(`bad --metrics-port ${JSON.stringify(metricsPortText)}: expected a port number`);
  }
  const metricsHost = pick('metrics-host', 'BERTH_METRICS_HOST');
  if (metricsHost !== undefined && isIP(metricsHost) === 0) throw new Error(`bad --metrics-host ${JSON.stringify(metricsHost)}: expected an IP address`);
  const positive = (flag: string, envName: string): number | undefined => {
    const text = pick(flag, envName);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bad --${flag} ${JSON.stringify(text)}: expected a positive integer`);
    return n;
  };
  const capacityCores = positive('capacity-cores', 'BERTH_CAPACITY_CORES');
  const capacityMemoryMiB = positive('capacity-memory-mib', 'BERTH_CAPACITY_MEMORY_MIB');
  const engineCheckIntervalMs = positive('engine-check-interval-ms', 'BERTH_ENGINE_CHECK_INTERVAL_MS');
  const stateDir = pick('state-dir', 'BERTH_STATE_DIR');
  const guards = containerGuardOptions(pick);
  return {
    controller,
    joinToken,
    nodeName,
    address,
    dockerHost,
    ...(stateDir ? { stateDir } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(metricsHost ? { metricsHost } : {}),
    ...(capacityCores ? { capacityCores } : {}),
    ...(capacityMemoryMiB ? { capacityMemoryMiB } : {}),
    ...(engineCheckIntervalMs ? { engineCheckIntervalMs } : {}),
    ...guards,
  };
}

type GuardOptions = Pick<CliOptions, 'protectedNetworks' | 'containerEgress' | 'storageCheckIntervalMs' | 'measureWithout' | 'podSandboxImage'>;

/** --protected-networks, --container-egress, --storage-check-interval, --measure-without, --pod-sandbox-image. */
function containerGuardOptions(pick: (flag: string, envName: string) => string | undefined): GuardOptions {
  const out: GuardOptions = {};
  const networks = pick('protected-networks', 'BERTH_PROTECTED_NETWORKS');
  if (networks !== undefined) {
    try {
      out.protectedNetworks = networks
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map(canonicalCidr);
    } catch (err) {
      throw new Error(`bad --protected-networks: ${(err as Error).message}`);
    }
  }
  const egress = pick('container-egress', 'BERTH_CONTAINER_EGRESS');
  if (egress !== undefined) {
    if (egress !== 'allow' && egress !== 'deny') throw new Error(`bad --container-egress ${JSON.stringify(egress)}: expected allow or deny`);
    out.containerEgress = egress;
  }
  const interval = pick('storage-check-interval', 'BERTH_STORAGE_CHECK_INTERVAL');
  if (interval !== undefined) {
    const seconds = Number(interval);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600)
      throw new Error(`bad --storage-check-interval ${JSON.stringify(interval)}: expected seconds, 1 to 3600`);
    out.storageCheckIntervalMs = Math.round(seconds * 1000);
  }
  const without = pick('measure-without', 'BERTH_MEASURE_WITHOUT');
  if (without !== undefined) {
    try {
      out.measureWithout = parseProtections(without);
    } catch (err) {
      throw new Error(`bad --measure-without: ${(err as Error).message}`);
    }
  }
  const sandboxImage = pick('pod-sandbox-image', 'BERTH_POD_SANDBOX_IMAGE');
  if (sandboxImage !== undefined) {
    // A reference the engine can pull: no spaces, no shell, nothing that reads as a flag.
    if (!/^[a-z0-9][\w./:@-]{0,254}$/i.test(sandboxImage))
      throw new Error(
        `bad --pod-sandbox-image ${JSON.stringify(sandboxImage)}: expected builtin, none or an image reference such as registry.k8s.io/pause:3.9`,
      );
    out.podSandboxImage = sandboxImage;
  }
  return out;
}
