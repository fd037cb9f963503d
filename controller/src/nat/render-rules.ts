// Pure rendering of Berth's iptables rule set. Rules are written in the exact canonical form
// `iptables -S` prints, so what the backend lists back compares equal to what was rendered.
import { BerthError } from '../errors/index.ts';
import { compareAddress, isLoopback, validateEndpoints, type NatEndpoint } from './endpoint.ts';

export const DEFAULT_CHAIN_PREFIX = 'BERTH';

export interface RenderOptions {
  chainPrefix?: string;
}

export interface ChainNames {
  dnat: string;
  postrouting: string;
  forward: string;
  input: string;
}

export type IptablesTable = 'nat' | 'filter';

/** A hook from a built-in chain into one of Berth's chains. */
export interface JumpRule {
  table: IptablesTable;
  chain: string;
  /** The rule spec after the chain name, e.g. ['-j', 'BERTH-DNAT']. */
  spec: string[];
}

// iptables chain names are at most 28 characters; the longest suffix is '-POSTROUTING' (12).
const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,15}$/;

export function chainNames(prefix: string = DEFAULT_CHAIN_PREFIX): ChainNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new BerthError('Invalid', `chain prefix must match ${PREFIX_PATTERN}`, 'chainPrefix');
  }
  return {
    dnat: `${prefix}-DNAT`,
    postrouting: `${prefix}-POSTROUTING`,
    forward: `${prefix}-FORWARD`,
    input: `${prefix}-INPUT`,
  };
}

/**
 * The input for `iptables-restore --noflush`. Declaring each chain (`:NAME - [0:0]`) flushes it,
 * so one restore atomically replaces Berth's whole set per table and leaves every other rule alone.
 */
export function renderIptablesRestore(endpoints: readonly NatEndpoint[], opts: RenderOptions = {}): string {
  validateEndpoints(endpoints);
  const c = chainNames(opts.chainPrefix);
  const sorted = [...endpoints].sort((a, b) => compareAddress(a.publicAddress, b.publicAddress) || a.natPort - b.natPort);
  const targets = nodeTargets(endpoints);
  const remoteTargets = targets.filter((t) => !isLoopback(t.address));
  const lines = [
    '*nat',
    `:${c.dnat} - [0:0]`,
    `:${c.postrouting} - [0:0]`,
    ...sorted.map((e) => dnatRule(c.dnat, e)),
    // Loopback targets are local sockets: replies come straight back, and MASQUERADE there
    // would only hide the client address.
    ...remoteTargets.map((t) => `-A ${c.postrouting} ${matchTo(t)} -m conntrack --ctstate DNAT -j MASQUERADE`),
    'COMMIT',
    '*filter',
    `:${c.forward} - [0:0]`,
    `:${c.input} - [0:0]`,
    ...targets.flatMap((t) => [
      `-A ${c.forward} ${matchTo(t)} -j ACCEPT`,
      `-A ${c.forward} -s ${t.address}/32 -p tcp -m tcp --sport ${t.port} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ]),
    // The backend turns on route_localnet for loopback-to-remote endpoints; that also lets
    // neighbours send packets to 127.0.0.0/8 services (CVE-2020-8558), which this drops.
    `-A ${c.input} ! -s 127.0.0.0/8 -d 127.0.0.0/8 ! -i lo -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    'COMMIT',
  ];
  return lines.join('\n') + '\n';
}

/** The hooks from built-in chains; each must exist exactly once. */
export function renderJumpRules(prefix: string = DEFAULT_CHAIN_PREFIX): JumpRule[] {
  const c = chainNames(prefix);
  return [
    { table: 'nat', chain: 'PREROUTING', spec: ['-j', c.dnat] },
    { table: 'nat', chain: 'OUTPUT', spec: ['-j', c.dnat] },
    { table: 'nat', chain: 'POSTROUTING', spec: ['-j', c.postrouting] },
    { table: 'filter', chain: 'FORWARD', spec: ['-j', c.forward] },
    { table: 'filter', chain: 'INPUT', spec: ['-j', c.input] },
  ];
}

/** The iptables argv to check (-C), insert at the top (-I) or delete (-D) a jump. */
export function jumpArgv(jump: JumpRule, action: '-C' | '-I' | '-D'): string[] {
  const position = action === '-I' ? ['1'] : [];
  return ['-w', '5', '-t', jump.table, action, jump.chain, ...position, ...jump.spec];
}

/** The line `iptables -S <chain>` prints for a jump, used to count its occurrences. */
export function jumpListing(jump: JumpRule): string {
  return `-A ${jump.chain} ${jump.spec.join(' ')}`;
}

interface NodeTarget {
  address: string;
  port: number;
}

function nodeTargets(endpoints: readonly NatEndpoint[]): NodeTarget[] {
  const unique = new Map<string, NodeTarget>();
  for (const e of endpoints) unique.set(`${e.nodeAddress}:${e.nodePort}`, { address: e.nodeAddress, port: e.nodePort });
  return [...unique.values()].sort((a, b) => compareAddress(a.address, b.address) || a.port - b.port);
}

function matchTo(t: NodeTarget): string {
  return `-d ${t.address}/32 -p tcp -m tcp --dport ${t.port}`;
}

function dnatRule(chain: string, e: NatEndpoint): string {
  return (
    `-A ${chain} -d ${e.publicAddress}/32 -p tcp -m tcp --dport ${e.natPort}` +
    ` -m comment --comment "${e.key}" -j DNAT --to-destination ${e.nodeAddress}:${e.nodePort}`
  );
}
