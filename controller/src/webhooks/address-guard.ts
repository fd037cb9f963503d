// Which addresses a webhook may be delivered to. A webhook URL is the customer's input, and the
// controller sits on the management network: without this, a customer could make it probe the
// nodes, the storage node, the registry, cloud metadata or its own loopback-only ports (SSRF).
// Refused: the nodes' addresses (always), and unless an operator allows them
// (`webhookAllowNetworks`), loopback, private, link-local, shared (CGNAT), multicast and
// reserved ranges and the controller's own addresses. Pure: callers resolve names and pass the
// addresses; the delivery connects only to the address that was judged (no DNS rebinding).
import { BlockList, isIP } from 'node:net';

const BLOCKED_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (CGNAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const BLOCKED_V6: Array<[string, number, string]> = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['64:ff9b::', 96, 'a NAT64 address'],
  ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'],
  ['ff00::', 8, 'a multicast address'],
];

export interface AddressPolicy {
  /** Networks an operator allows despite the ranges above (not the nodes). */
  allow: readonly string[];
  /** The compute nodes' addresses: never. */
  nodes: readonly string[];
  /** The controller's own addresses (interfaces, public address). */
  own: readonly string[];
}

/** Parses "10.1.0.0/16" or "2001:db8::/32" or a bare address; undefined when it is not one. */
export function parseNetwork(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, ...rest] = text.trim().split('/');
  const v = isIP(address ?? '');
  if (!v || rest.length) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return undefined;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

function listOf(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const n of networks) {
    const net = parseNetwork(n);
    if (net) list.addSubnet(net.address, net.prefix, net.family);
  }
  return list;
}

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** A judge for one policy: undefined when the address may be used, else why not. */
export function addressJudge(policy: AddressPolicy): (ip: string) => string | undefined {
  const allow = listOf(policy.allow);
  const nodes = listOf(policy.nodes);
  const own = listOf(policy.own);
  const blocked = [
    ...BLOCKED_V4.map(([a, p, why]) => ({ list: listOf([`${a}/${p}`]), why })),
    ...BLOCKED_V6.map(([a, p, why]) => ({ list: listOf([`${a}/${p}`]), why })),
  ];
  return (ip) => {
    if (!isIP(ip)) return 'not an IP address';
    const family = familyOf(ip);
    if (nodes.check(ip, family)) return 'a compute node of this cluster';
    if (allow.check(ip, family)) return undefined;
    if (own.check(ip, family)) return "the controller's own address";
    return blocked.find((b) => b.list.check(ip, family))?.why;
  };
}
