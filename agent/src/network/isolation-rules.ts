// Pure rendering of the agent's iptables rules that keep containers away from each other's
// networks and from the infrastructure. Rules are written in the exact form `iptables -S` prints,
// so what is listed back compares equal to what was rendered.
import { BlockList, isIPv4 } from 'node:net';
import { TENANT_INTERFACES } from './tenant-networks.ts';

/** Hooked from the engine's DOCKER-USER chain: traffic a container sends through the node. */
export const ISOLATION_CHAIN = 'BERTH-ISOLATION';
/** Hooked from INPUT: traffic a container sends to the node itself. */
export const ISOLATION_INPUT_CHAIN = 'BERTH-ISOLATION-IN';

export type EgressPolicy = 'allow' | 'deny';

export interface IsolationConfig {
  /** Canonical IPv4 CIDRs (see canonicalCidr) no container may open a connection to. */
  protectedNetworks: readonly string[];
  /** deny: containers open no connection beyond their tenant network at all. */
  egress: EgressPolicy;
  /**
   * The agent publishes ports itself (containers in warm sandboxes): what it DNATed from outside
   * into a tenant bridge is let through, as the engine's DOCKER chain does for its own.
   */
  agentPublishes?: boolean;
}

/** A hook from a built-in (or the engine's) chain into one of ours; each must exist exactly once. */
export interface JumpRule {
  chain: string;
  target: string;
}

export const ISOLATION_JUMPS: readonly JumpRule[] = [
  { chain: 'DOCKER-USER', target: ISOLATION_CHAIN },
  { chain: 'INPUT', target: ISOLATION_INPUT_CHAIN },
];

const REJECT = '-j REJECT --reject-with icmp-port-unreachable';
const FROM_TENANT = `-i ${TENANT_INTERFACES}`;

/**
 * The input for `iptables-restore --noflush`. Declaring a chain flushes it, so one restore
 * replaces both chains atomically and touches no other rule. Replies to connections made from
 * outside (published ports) are let through first; then a tenant bridge may talk to itself
 * (frames bridged on one network) but not to another tenant's bridge, and nothing from a tenant
 * bridge may open a connection to a protected network (matched on the destination before the
 * engine's DNAT, so a published port on a protected address is refused too) or to the node.
 */
export function renderIsolationRules(config: IsolationConfig): string {
  const c = ISOLATION_CHAIN;
  const lines = [
    '*filter',
    `:${c} - [0:0]`,
    `:${ISOLATION_INPUT_CHAIN} - [0:0]`,
    `-A ${c} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    `-A ${c} ${FROM_TENANT} -o ${TENANT_INTERFACES} -m physdev --physdev-is-bridged -j RETURN`,
    `-A ${c} ${FROM_TENANT} -o ${TENANT_INTERFACES} ${REJECT}`,
    ...sortCidrs(config.protectedNetworks).map((cidr) => `-A ${c} ${FROM_TENANT} -m conntrack --ctorigdst ${conntrackAddress(cidr)} ${REJECT}`),
    ...(config.egress === 'deny' ? [`-A ${c} ${FROM_TENANT} ${REJECT}`] : []),
    ...(config.agentPublishes ? [`-A ${c} ! ${FROM_TENANT} -o ${TENANT_INTERFACES} -m conntrack --ctstate DNAT -j ACCEPT`] : []),
    `-A ${ISOLATION_INPUT_CHAIN} ${FROM_TENANT} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    `-A ${ISOLATION_INPUT_CHAIN} ${FROM_TENANT} ${REJECT}`,
    'COMMIT',
  ];
  return lines.join('\n') + '\n';
}

/** The conntrack match prints a single address without its /32. */
function conntrackAddress(cidr: string): string {
  return cidr.endsWith('/32') ? cidr.slice(0, -3) : cidr;
}

/** The `-A` lines of a chain in a rendered rule set, as `iptables -S CHAIN` lists them. */
export function renderedChain(text: string, chain: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}

/** The line `iptables -S CHAIN` prints for a jump. */
export function jumpListing(jump: JumpRule): string {
  return `-A ${jump.chain} -j ${jump.target}`;
}

/**
 * `10.0.0.7` -> `10.0.0.7/32`, `10.1.2.3/16` -> `10.1.0.0/16` (what iptables prints); throws on
 * anything else. Only IPv4: the engine gives tenant networks no IPv6 unless told to.
 */
export function canonicalCidr(text: string): string {
  const [address, bitsText, ...rest] = text.trim().split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (rest.length || !isIPv4(address) || !/^\d{1,2}$/.test(bitsText ?? '32') || bits > 32) {
    throw new Error(`${JSON.stringify(text)} is not an IPv4 address or CIDR such as 10.0.0.0/24`);
  }
  const value = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const network = (value & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (network >>> s) & 255).join('.')}/${bits}`;
}

/** Canonical, without duplicates or networks another entry already covers, in address order. */
export function protectedSet(entries: readonly string[]): string[] {
  const cidrs = sortCidrs([...new Set(entries.map(canonicalCidr))]);
  return cidrs.filter((cidr) => !cidrs.some((other) => other !== cidr && covers(other, cidr)));
}

function covers(outer: string, inner: string): boolean {
  const [address, bits] = outer.split('/');
  const list = new BlockList();
  list.addSubnet(address, Number(bits), 'ipv4');
  const [innerAddress, innerBits] = inner.split('/');
  return Number(bits) <= Number(innerBits) && list.check(innerAddress, 'ipv4');
}

function sortCidrs(cidrs: readonly string[]): string[] {
  const key = (cidr: string) => {
    const [address, bits] = cidr.split('/');
    return address.split('.').reduce((n, o) => n * 256 + Number(o), 0) * 64 + Number(bits);
  };
  return [...cidrs].sort((a, b) => key(a) - key(b));
}
