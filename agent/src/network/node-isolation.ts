// Keeps the node's isolation rules in place: works out what is protected (the controller, this
// node, the storage node, the operator's list), renders the rules and applies them when the
// kernel does not already hold them. Containers are created or started only after this succeeds.
import { lookup } from 'node:dns/promises';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isIPv4 } from 'node:net';
import type pino from 'pino';
import { IptablesIsolation, type IsolationBackend } from './iptables-isolation.ts';
import { protectedSet, renderIsolationRules, type EgressPolicy } from './isolation-rules.ts';

export interface NodeIsolationOptions {
  /** HOST:PORT of the controller's gRPC endpoint: its host is protected. */
  controller: string;
  /** This node's private address. */
  address: string;
  /** More CIDRs: the node network, the registry, other infrastructure. */
  protectedNetworks?: readonly string[];
  egress?: EgressPolicy;
  /** Containers in warm sandboxes: the agent's own DNAT into tenant bridges is let through. */
  agentPublishes?: boolean;
  /** The storage node the controller handed over, once it has. */
  storageHost?: () => string | undefined;
  /**
   * Remembers the storage host across restarts: a restarted agent learns it only when it has
   * registered again, and must not drop its protection meanwhile.
   */
  stateFile?: string;
  backend?: IsolationBackend;
  resolve?: (host: string) => Promise<string[]>;
  log?: pino.Logger;
}

export class NodeIsolation {
  private readonly backend: IsolationBackend;
  private readonly resolved = new Map<string, string[]>();
  private readonly log?: pino.Logger;
  private applied: string | undefined;
  // ensure() from the converge pass and verify() from its timer must not hook twice at once.
  private queue: Promise<unknown> = Promise.resolve();
  private rememberedStorage: string | undefined | null = null;

  constructor(private readonly opts: NodeIsolationOptions) {
    this.backend = opts.backend ?? new IptablesIsolation();
    this.log = opts.log?.child({ component: 'isolation' });
  }

  /**
   * Throws when the rules cannot be put in place. Costs no command when they are what this
   * process last applied (the converge pass calls it before every create), and no name lookup
   * for a host it has resolved before; verify() looks at the kernel and the resolver afresh.
   */
  ensure(): Promise<void> {
    return this.serial(async () => {
      const { text, protectedNetworks } = await this.render(false);
      if (text === this.applied) return;
      await this.put(text, protectedNetworks);
    });
  }

  /** Compares the kernel with the rules and puts them back if they were changed or lost. */
  verify(): Promise<void> {
    return this.serial(async () => {
      const { text, protectedNetworks } = await this.render(true);
      this.applied = undefined;
      await this.put(text, protectedNetworks);
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** fresh: look names up again rather than use their last answer. */
  private async render(fresh: boolean): Promise<{ text: string; protectedNetworks: string[] }> {
    const protectedNetworks = await this.protectedNetworks(fresh);
    return {
      text: renderIsolationRules({ protectedNetworks, egress: this.opts.egress ?? 'allow', agentPublishes: this.opts.agentPublishes }),
      protectedNetworks,
    };
  }

  private async put(text: string, protectedNetworks: string[]): Promise<void> {
    // After a restart the kernel usually holds our rules already: leave them exactly as they are.
    if (!(await this.backend.holds(text))) {
      await this.backend.apply(text);
      this.log?.info({ protectedNetworks, egress: this.opts.egress ?? 'allow' }, 'isolation rules applied');
    }
    this.applied = text;
  }

  private async protectedNetworks(fresh: boolean): Promise<string[]> {
    const controllerHost = hostOf(this.opts.controller);
    const storageHost = await this.storageHost();
    const addresses = [
      ...(await this.addressesOf(controllerHost, fresh)),
      ...(isIPv4(this.opts.address) ? [this.opts.address] : []),
      ...(storageHost ? await this.addressesOf(storageHost, fresh) : []),
    ];
    return protectedSet([...addresses, ...(this.opts.protectedNetworks ?? [])]);
  }

  private async storageHost(): Promise<string | undefined> {
    if (this.rememberedStorage === null) this.rememberedStorage = await this.readState();
    const current = this.opts.storageHost?.();
    if (current && current !== this.rememberedStorage) {
      this.rememberedStorage = current;
      await this.writeState(current);
    }
    return current ?? this.rememberedStorage;
  }

  private async readState(): Promise<string | undefined> {
    if (!this.opts.stateFile) return undefined;
    try {
      const host = (JSON.parse(await readFile(this.opts.stateFile, 'utf8')) as { storageHost?: unknown }).storageHost;
      return typeof host === 'string' && host ? host : undefined;
    } catch {
      return undefined;
    }
  }

  private async writeState(storageHost: string): Promise<void> {
    if (!this.opts.stateFile) return;
    await mkdir(path.dirname(this.opts.stateFile), { recursive: true, mode: 0o700 });
    const tmp = `${this.opts.stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ storageHost }));
    await rename(tmp, this.opts.stateFile);
  }

  /**
   * IPv4 addresses of a host. Unless fresh, the last answer is used: a lookup on every converge
   * pass would put the resolver on the path of every start, and verify() re-resolves each minute.
   * The last good answer also stands in while the resolver fails.
   */
  private async addressesOf(host: string, fresh: boolean): Promise<string[]> {
    if (isIPv4(host)) return [host];
    if (host.includes(':')) return []; // IPv6: the engine gives tenant networks none
    const known = this.resolved.get(host);
    if (known && !fresh) return known;
    try {
      const found = this.opts.resolve ? await this.opts.resolve(host) : (await lookup(host, { all: true, family: 4 })).map((a) => a.address);
      this.resolved.set(host, found);
      return found;
    } catch (err) {
      if (known) return known;
      throw new Error(`cannot resolve ${host} to protect it from containers: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function hostOf(hostPort: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(hostPort);
  if (bracketed) return bracketed[1];
  const i = hostPort.lastIndexOf(':');
  return i > 0 ? hostPort.slice(0, i) : hostPort;
}
