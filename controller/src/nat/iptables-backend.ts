import { readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { BerthError } from '../errors/index.ts';
import type { Logger } from 'pino';
import { isLoopback, type NatEndpoint } from './endpoint.ts';
import type { NatBackend } from './nat-backend.ts';
import {
  chainNames,
  DEFAULT_CHAIN_PREFIX,
  jumpArgv,
  jumpListing,
  renderIptablesRestore,
  renderJumpRules,
  type ChainNames,
  type IptablesTable,
  type JumpRule,
} from './render-rules.ts';
import { runCommand } from './run-command.ts';
import { parseProcRoutes, routeDevice } from './route-table.ts';
import { Mutex } from '../lib/mutex.ts';

export interface IptablesNatOptions {
  log: Logger;
  chainPrefix?: string;
}

const WAIT = ['-w', '5'];

/** Public endpoints as DNAT rules in Berth's own chains, hooked once from the built-in chains. */
export class IptablesNat implements NatBackend {
  readonly kind = 'iptables' as const;
  private readonly prefix: string;
  private readonly chains: ChainNames;
  private readonly jumps: JumpRule[];
  private readonly log: Logger;
  private readonly queue = new Mutex();
  // What the kernel holds after this process's last successful apply; unset at start, so a
  // restarted controller always rebuilds its rules on its first sync.
  private lastApplied: string | undefined;
  // Hooks from the built-in chains are checked on this process's first apply only: they never
  // change with the endpoint set, and checking them costs five iptables runs per sync.
  private jumpsEnsured = false;
  private readonly localnetChecked = new Set<string>();

  constructor(opts: IptablesNatOptions) {
    this.prefix = opts.chainPrefix ?? DEFAULT_CHAIN_PREFIX;
    this.chains = chainNames(this.prefix);
    this.jumps = renderJumpRules(this.prefix);
    this.log = opts.log.child({ component: 'nat', backend: 'iptables' });
  }

  sync(endpoints: NatEndpoint[]): Promise<void> {
    return this.queue.run(() => this.apply(endpoints));
  }

  close(): Promise<void> {
    return this.queue.run(async () => undefined);
  }

  /** Removes Berth's hooks and chains (tests, uninstall); never called on a normal stop. */
  teardown(): Promise<void> {
    return this.queue.run(async () => {
      this.lastApplied = undefined;
      this.jumpsEnsured = false;
      for (const jump of this.jumps) await this.removeJump(jump);
      await this.deleteChains('nat', [this.chains.dnat, this.chains.postrouting]);
      await this.deleteChains('filter', [this.chains.forward, this.chains.input]);
      this.log.info({ prefix: this.prefix }, 'nat rules removed');
    });
  }

  /** Berth's current DNAT rules as `iptables -S` prints them. */
  async listRules(): Promise<string[]> {
    const lines = await listTable('nat');
    return lines.filter((line) => line.startsWith(`-A ${this.chains.dnat} `));
  }

  private async apply(endpoints: NatEndpoint[]): Promise<void> {
    const text = renderIptablesRestore(endpoints, { chainPrefix: this.prefix });
    if (text === this.lastApplied) return;
    // A failure half-way leaves the kernel unknown: the next sync must not skip.
    this.lastApplied = undefined;
    await this.enableForwarding();
    await this.enableRouteLocalnet(endpoints);
    await runCommand('iptables-restore', [...WAIT, '--noflush'], text);
    if (!this.jumpsEnsured) {
      for (const jump of this.jumps) await this.ensureJumpOnce(jump);
      this.jumpsEnsured = true;
    }
    this.lastApplied = text;
    this.log.info({ endpoints: endpoints.length }, 'nat rules applied');
  }

  private async ensureJumpOnce(jump: JumpRule): Promise<void> {
    const count = await countJump(jump);
    if (count === 0) await runCommand('iptables', jumpArgv(jump, '-I'));
    // Only duplicates of our own jump are removed; -D deletes one matching rule per call.
    for (let i = 1; i < count; i++) await runCommand('iptables', jumpArgv(jump, '-D'));
  }

  private async removeJump(jump: JumpRule): Promise<void> {
    const count = await countJump(jump);
    for (let i = 0; i < count; i++) await runCommand('iptables', jumpArgv(jump, '-D'));
  }

  private async deleteChains(table: IptablesTable, chains: string[]): Promise<void> {
    const existing = new Set(await listTable(table));
    for (const chain of chains) {
      if (!existing.has(`-N ${chain}`)) continue;
      await runCommand('iptables', [...WAIT, '-t', table, '-F', chain]);
      await runCommand('iptables', [...WAIT, '-t', table, '-X', chain]);
    }
  }

  private async enableForwarding(): Promise<void> {
    if (await setSysctl('/proc/sys/net/ipv4/ip_forward')) this.log.info({}, 'enabled net.ipv4.ip_forward');
  }

  // A locally originated connection to a loopback public address DNATed to a remote node keeps
  // its 127.x source: the kernel drops it on the way out, and drops the un-NATed replies
  // (destination 127.x) on the way in, unless route_localnet is set on the interface towards
  // the node. MASQUERADE (rendered for every remote node) then gives it a routable source.
  private async enableRouteLocalnet(endpoints: NatEndpoint[]): Promise<void> {
    const remote = new Set(endpoints.filter((e) => isLoopback(e.publicAddress) && !isLoopback(e.nodeAddress)).map((e) => e.nodeAddress));
    // Once per node address and process, from the route table: a lookup per node was a process
    // per node (1,000 at scale, each forking this whole controller).
    const fresh = [...remote].filter((a) => !this.localnetChecked.has(a));
    if (fresh.length === 0) return;
    const devices = await routeDevices(fresh);
    for (const address of fresh) this.localnetChecked.add(address);
    for (const dev of new Set(devices)) {
      if (await setSysctl(`/proc/sys/net/ipv4/conf/${dev}/route_localnet`)) {
        this.log.warn({ dev }, 'enabled route_localnet for loopback endpoints');
      }
    }
  }
}

async function listTable(table: IptablesTable): Promise<string[]> {
  const out = await runCommand('iptables', [...WAIT, '-t', table, '-S']);
  return out.split('\n');
}

async function countJump(jump: JumpRule): Promise<number> {
  const out = await runCommand('iptables', [...WAIT, '-t', jump.table, '-S', jump.chain]);
  const wanted = jumpListing(jump);
  return out.split('\n').filter((line) => line === wanted).length;
}

/** The device each address is routed through: the main table, else one `ip -batch` run for the rest. */
async function routeDevices(addresses: string[]): Promise<string[]> {
  const routes = parseProcRoutes(await readFile('/proc/net/route', 'utf8').catch(() => ''));
  const local = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  const devices = addresses.map((a) => routeDevice(a, routes, local));
  const unplaced = addresses.filter((_, i) => devices[i] === undefined);
  const asked = unplaced.length ? await askIpRoute(unplaced) : [];
  return addresses.map((address, i) => {
    const dev = devices[i] ?? asked[unplaced.indexOf(address)];
    // The name becomes part of a /proc path.
    if (!dev || dev.includes('/') || dev === '.' || dev === '..') throw new BerthError('Internal', `no usable route to node ${address}`);
    return dev;
  });
}

async function askIpRoute(addresses: string[]): Promise<Array<string | undefined>> {
  const out = await runCommand('ip', ['-j', '-4', '-batch', '-'], addresses.map((a) => `route get ${a}\n`).join(''));
  const lines = out.split('\n').filter((l) => l.trim());
  return addresses.map((_, i) => (JSON.parse(lines[i] ?? '[]') as Array<{ dev?: string }>)[0]?.dev);
}

/** Sets a boolean sysctl to 1; true when it changed. */
async function setSysctl(path: string): Promise<boolean> {
  if ((await readFile(path, 'utf8')).trim() === '1') return false;
  await writeFile(path, '1\n');
  return true;
}
