// Pure rendering of the nat rules that publish container ports once the engine cannot: a container
// that shares a pod sandbox's network namespace has no port bindings of its own. Rules are written
// in the exact form `iptables -t nat -S` prints, so what is listed back compares equal.
import { isIPv4 } from 'node:net';

/** Hooked from nat PREROUTING and OUTPUT: connections to a published port on a node address. */
export const PORTS_CHAIN = 'BERTH-PORTS';

export interface PortForward {
  /** '' or '0.0.0.0': every address of the node. */
  hostIp: string;
  hostPort: number;
  targetIp: string;
  targetPort: number;
  reservationId: string;
}

/** A hook into our chain, matched by more than its target; each must exist exactly once. */
export interface PortJump {
  chain: string;
  /** Everything after `-A CHAIN`, as iptables prints it and takes it back. */
  args: readonly string[];
}

// As the engine hooks its DOCKER chain: loopback is left out of OUTPUT because a DNAT of
// 127.0.0.1 towards a bridge would leave with a source no bridge can answer; the proxy takes it.
export const PORT_JUMPS: readonly PortJump[] = [
  { chain: 'PREROUTING', args: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', PORTS_CHAIN] },
  { chain: 'OUTPUT', args: ['!', '-d', '127.0.0.0/8', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', PORTS_CHAIN] },
];

/** The line `iptables -t nat -S CHAIN` prints for a hook. */
export function portJumpListing(jump: PortJump): string {
  return `-A ${jump.chain} ${jump.args.join(' ')}`;
}

/** '' and '0.0.0.0' are one address to a listener, so they are one address here too. */
export function isAnyAddress(hostIp: string): boolean {
  return hostIp === '' || hostIp === '0.0.0.0';
}

/**
 * The input for `iptables-restore --noflush` of the nat table. Declaring the chain flushes it, so
 * one restore replaces every forward atomically and touches no other rule. Throws on a forward
 * the kernel would refuse or read differently, and on two forwards that would claim one port.
 */
export function renderPortForwards(forwards: readonly PortForward[]): string {
  forwards.forEach(validateForward);
  refuseOverlaps(forwards);
  const lines = [
    '*nat',
    `:${PORTS_CHAIN} - [0:0]`,
    ...sortForwards(forwards).map((f) => {
      const destination = isAnyAddress(f.hostIp) ? '' : `-d ${f.hostIp}/32 `;
      return `-A ${PORTS_CHAIN} ${destination}-p tcp -m tcp --dport ${f.hostPort} -j DNAT --to-destination ${f.targetIp}:${f.targetPort}`;
    }),
    'COMMIT',
  ];
  return lines.join('\n') + '\n';
}

function validateForward(f: PortForward): void {
  const what = `port forward ${JSON.stringify(f)}`;
  if (!isAnyAddress(f.hostIp) && !isIPv4(f.hostIp)) throw new Error(`${what}: hostIp must be an IPv4 address, '' or 0.0.0.0`);
  if (!isIPv4(f.targetIp) || f.targetIp === '0.0.0.0') throw new Error(`${what}: targetIp must be an IPv4 address other than 0.0.0.0`);
  for (const port of [f.hostPort, f.targetPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what}: ports must be integers from 1 to 65535`);
  }
}

// A port bound on every address also holds it on each single one, for the kernel (the first rule
// wins) as for the proxy (the second bind fails), so it may appear only once on a port.
function refuseOverlaps(forwards: readonly PortForward[]): void {
  const byPort = new Map<number, PortForward[]>();
  for (const f of forwards) {
    const onPort = byPort.get(f.hostPort) ?? [];
    const other = onPort.find((o) => isAnyAddress(o.hostIp) || isAnyAddress(f.hostIp) || o.hostIp === f.hostIp);
    if (other) {
      throw new Error(`port ${f.hostPort} on ${f.hostIp || '0.0.0.0'} is forwarded twice (reservations ${other.reservationId} and ${f.reservationId})`);
    }
    byPort.set(f.hostPort, [...onPort, f]);
  }
}

function sortForwards(forwards: readonly PortForward[]): PortForward[] {
  const address = (ip: string) => (isAnyAddress(ip) ? 0 : ip.split('.').reduce((n, o) => n * 256 + Number(o), 0));
  return [...forwards].sort((a, b) => a.hostPort - b.hostPort || address(a.hostIp) - address(b.hostIp));
}
