// Pure rendering of the agent's systemd unit and environment file from its settings.
import type { CliOptions } from '../cli-options.ts';

export interface UnitPaths {
  /** Absolute argv of the agent (e.g. node and bin/berth-agent.mjs). */
  execStart: string[];
  envFile: string;
}

const ENV_NAMES: Array<[keyof CliOptions, string, ((v: never) => string)?]> = [
  ['controller', 'BERTH_CONTROLLER'],
  ['joinToken', 'BERTH_JOIN_TOKEN'],
  ['nodeName', 'BERTH_NODE_NAME'],
  ['address', 'BERTH_ADDRESS'],
  ['dockerHost', 'DOCKER_HOST'],
  ['stateDir', 'BERTH_STATE_DIR'],
  ['metricsPort', 'BERTH_METRICS_PORT'],
  ['metricsHost', 'BERTH_METRICS_HOST'],
  ['capacityCores', 'BERTH_CAPACITY_CORES'],
  ['capacityMemoryMiB', 'BERTH_CAPACITY_MEMORY_MIB'],
  ['protectedNetworks', 'BERTH_PROTECTED_NETWORKS'],
  ['containerEgress', 'BERTH_CONTAINER_EGRESS'],
  ['storageCheckIntervalMs', 'BERTH_STORAGE_CHECK_INTERVAL', (ms: number) => String(ms / 1000)],
];

// systemd's quoting: double quotes, with backslash escapes for \ and ".
const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderEnvFile(opts: CliOptions): string {
  const lines = ['# Written by `berth-agent install`; read by berth-agent.service (EnvironmentFile).'];
  for (const [key, name, format] of ENV_NAMES) {
    const v = opts[key];
    if (v !== undefined) lines.push(`${name}=${quote(format ? format(v as never) : String(v))}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The [Service] hardening of the agent, the same as deploy/systemd/berth-agent.service (whose
 * comments say why each line is there and why there is no ProtectSystem=/ProtectHome=/PrivateTmp=:
 * a mount namespace would keep the sshfs mounts from reaching dockerd).
 */
export const AGENT_HARDENING = [
  'User=root',
  // sshfs (FUSE) mounts for remote-profile reservations; the BERTH-ISOLATION iptables chain.
  'CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN',
  'AmbientCapabilities=',
  'NoNewPrivileges=yes',
  'StateDirectory=berth-agent',
  'StateDirectoryMode=0700',
  'UMask=0077',
  'DevicePolicy=closed',
  'DeviceAllow=/dev/fuse rw',
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
  'RestrictNamespaces=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  'SystemCallArchitectures=native',
  'SystemCallFilter=@system-service @mount',
  'SystemCallErrorNumber=EPERM',
];

export function renderAgentUnit(paths: UnitPaths): string {
  return [
    '# Written by `berth-agent install`. Settings live in the EnvironmentFile; the hardening is',
    '# explained in deploy/systemd/berth-agent.service of the Berth sources.',
    '[Unit]',
    'Description=Berth agent',
    'Wants=network-online.target docker.service',
    'After=network-online.target docker.service',
    '',
    '[Service]',
    'Type=simple',
    `EnvironmentFile=${paths.envFile}`,
    `ExecStart=${paths.execStart.map((a) => (/[\s"\\]/.test(a) ? quote(a) : a)).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2s',
    ...AGENT_HARDENING,
    'LimitNOFILE=65536',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30s',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
