// Publishes the ports of containers in pod sandboxes, which the engine cannot publish: nat rules
// for connections from elsewhere and to node addresses, and the proxy for what nat cannot reach.
// The rules outlive the agent, so containers keep serving while it restarts.
import type pino from 'pino';
import { IptablesPorts, type PortsBackend } from './iptables-ports.ts';
import { renderPortForwards, type PortForward } from './port-forwards.ts';
import { PortProxy } from './port-proxy.ts';

export interface PortForwarderOptions {
  backend?: PortsBackend;
  /** false: nat rules only (a node where nothing reaches its ports already DNATed or on loopback). */
  proxy?: PortProxy | false;
  log?: pino.Logger;
}

export class PortForwarder {
  private readonly backend: PortsBackend;
  private readonly proxy: PortProxy | undefined;
  private readonly log?: pino.Logger;
  private applied: string | undefined;
  /** Unset until the first sync: before it, an empty set would wipe what a previous run left. */
  private forwards: readonly PortForward[] | undefined;
  // sync() from the converge pass and verify() from its timer must not hook twice at once.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PortForwarderOptions = {}) {
    this.log = opts.log?.child({ component: 'ports' });
    this.backend = opts.backend ?? new IptablesPorts();
    this.proxy = opts.proxy === false ? undefined : (opts.proxy ?? new PortProxy({ log: opts.log }));
  }

  /**
   * Throws when the forwards are invalid or the rules cannot be put in place. Costs no command
   * when they are what this process last applied.
   */
  sync(forwards: readonly PortForward[]): Promise<void> {
    return this.serial(async () => {
      const text = renderPortForwards(forwards);
      if (text !== this.applied) await this.put(text, forwards.length);
      this.forwards = forwards;
      await this.proxy?.sync(forwards);
    });
  }

  /**
   * Compares the kernel with the last forwards and puts the rules back if they were changed or
   * lost; also retries the proxy's listeners that could not be bound.
   */
  verify(): Promise<void> {
    return this.serial(async () => {
      const forwards = this.forwards;
      if (!forwards) return;
      this.applied = undefined;
      await this.put(renderPortForwards(forwards), forwards.length);
      await this.proxy?.sync(forwards);
    });
  }

  /** Stops the proxy only: the rules stay, so the containers stay reachable through a restart. */
  close(): Promise<void> {
    return this.serial(async () => {
      await this.proxy?.close();
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async put(text: string, count: number): Promise<void> {
    // After a restart the kernel usually holds our rules already: leave them exactly as they are.
    if (!(await this.backend.holds(text))) {
      await this.backend.apply(text);
      this.log?.info({ forwards: count }, 'port forwards applied');
    }
    this.applied = text;
  }
}
