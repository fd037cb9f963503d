// Publishes the ports of containers that joined a warm sandbox (runtime/pod-sandboxes.ts): the
// engine cannot, so the agent DNATs each node port to the sandbox's address (port-forwarder.ts),
// rebuilt from the containers' labels on every pass, so a restarted agent puts back exactly the
// same rules. Then, off the start path, it keeps one spare sandbox per tenant network in use.
import type pino from 'pino';
import type { ObservedContainer, PodSandboxes } from '../runtime/index.ts';
import type { PortForward } from './port-forwards.ts';
import type { PortForwarder } from './port-forwarder.ts';

/** Pure: the forwards of the sandboxed containers whose sandbox address is known. */
export function forwardsOf(observed: readonly ObservedContainer[], ipOf: (sandbox: string) => string | undefined): PortForward[] {
  const forwards: PortForward[] = [];
  for (const c of observed) {
    const ip = c.sandboxId ? ipOf(c.sandboxId) : undefined;
    if (!ip) continue;
    for (const p of c.ports)
      forwards.push({ hostIp: p.hostIp ?? '', hostPort: p.hostPort, targetIp: ip, targetPort: p.containerPort, reservationId: c.reservationId });
  }
  return forwards;
}

export interface SandboxPortsOptions {
  sandboxes: PodSandboxes;
  forwarder: PortForwarder;
  log?: pino.Logger;
}

/** Spares are made this long after a pass, when the engine is done with what the pass started. */
const MAINTAIN_DELAY_MS = 1_000;
/** How often the kernel's forwards are compared with the agent's, off the converge path. */
const VERIFY_EVERY_MS = 60_000;

export class SandboxPorts {
  private timer: NodeJS.Timeout | undefined;
  private wanted: ReadonlySet<string> = new Set();
  /** Container id -> when it last started, as of the last publish. */
  private starts = new Map<string, number>();
  private readonly verifier: NodeJS.Timeout;

  constructor(private readonly o: SandboxPortsOptions) {
    this.verifier = setInterval(() => {
      o.forwarder.verify().catch((err: unknown) => o.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'port forwards not in place'));
    }, VERIFY_EVERY_MS);
    this.verifier.unref();
  }

  /**
   * Throws when the forwards cannot be put in place (the pass reports it and retries). Addresses
   * come from the last listing; a container started again (an engine restart, say) may sit in a
   * sandbox that was given a new one, so that lists afresh.
   */
  async publish(observed: readonly ObservedContainer[]): Promise<void> {
    const sandboxed = observed.filter((c) => c.sandboxId);
    const stale = sandboxed.some((c) => !this.o.sandboxes.ipOf(c.sandboxId!) || (this.starts.has(c.id) && this.starts.get(c.id) !== c.startedAtMs));
    this.starts = new Map(sandboxed.map((c) => [c.id, c.startedAtMs]));
    if (stale) await this.o.sandboxes.list();
    await this.o.forwarder.sync(forwardsOf(observed, (id) => this.o.sandboxes.ipOf(id)));
  }

  /** Spares for these networks (and none for others), a little later; calls meanwhile collapse. */
  tend(wanted: ReadonlySet<string>): void {
    this.wanted = wanted;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.o.sandboxes.maintain(this.wanted);
    }, MAINTAIN_DELAY_MS);
    this.timer.unref();
  }

  async release(networks: readonly string[]): Promise<void> {
    for (const network of networks) await this.o.sandboxes.dropSpares(network);
  }

  async stop(): Promise<void> {
    clearInterval(this.verifier);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.o.forwarder.close();
  }
}
