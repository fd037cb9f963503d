// Warm network sandboxes (Kubernetes' pod sandbox, a "pause" container). A container that joins
// a running sandbox's network namespace (NetworkMode container:ID) starts without the engine's
// per-start set-up of a user-defined network: its embedded DNS, a re-exec of dockerd that runs 11
// iptables calls in the new namespace (~100 ms of a ~450 ms start on this engine). So one spare
// sandbox is kept running on each tenant network in use; a container takes it and a new spare is
// made off the start path. Without a spare, the container joins its network as before.
import type Docker from 'dockerode';
import type pino from 'pino';
import { engineMessage, isNotFound } from './engine-error.ts';
import { LABELS } from './container-runtime.ts';
import { BUILTIN_PAUSE_IMAGE, ensureBuiltinPauseImage, PAUSE_COMMAND } from './pause-image.ts';

export const SANDBOX_LABELS = {
  sandbox: 'berth.sandbox',
  /** Not berth.node: what lists a node's Berth containers (and counts them) never sees a sandbox. */
  node: 'berth.sandbox-node',
  /** On a container: the sandbox whose network namespace it joined. */
  joined: 'berth.sandbox-id',
  /** On a container in a sandbox: the tenant network it is on through the sandbox. */
  network: 'berth.sandbox-network',
  /** On a container in a sandbox: its port bindings, which the agent publishes itself. */
  published: 'berth.published',
} as const;

export interface Sandbox {
  id: string;
  /** The tenant network it is attached to. */
  network: string;
  ip: string;
  running: boolean;
}

export interface SandboxPlan {
  /** Networks that get a new spare. */
  create: string[];
  /** Sandboxes no container uses and no network needs as its spare. */
  remove: string[];
}

/**
 * Pure: one running spare per wanted network; every other sandbox that no container joined goes
 * (a stopped one, a second spare, the spare of a network no longer in use).
 */
export function planSandboxes(sandboxes: readonly Sandbox[], joined: ReadonlySet<string>, wanted: ReadonlySet<string>): SandboxPlan {
  const spared = new Set<string>();
  const remove: string[] = [];
  for (const s of [...sandboxes].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (joined.has(s.id)) continue;
    if (s.running && wanted.has(s.network) && !spared.has(s.network)) spared.add(s.network);
    else remove.push(s.id);
  }
  return { create: [...wanted].filter((n) => !spared.has(n)).sort(), remove };
}

export interface PodSandboxesOptions {
  docker: Docker;
  nodeName: string;
  /** Any image whose default command runs until stopped (registry.k8s.io/pause, say); default: built here (pause-image.ts). */
  image?: string;
  log?: pino.Logger;
}

/** The pause process needs nothing: no capability, a read-only root, a handful of pids. */
const SANDBOX_MEMORY_BYTES = 32 * 1048576;

export class PodSandboxes {
  /** Handed to a container by this process; not a spare even before the container exists. */
  private readonly taken = new Set<string>();
  /** Sandbox id -> address, from every listing: the publish path needs no engine call. */
  private readonly ips = new Map<string, string>();
  private maintaining: Promise<void> | undefined;
  private readonly log?: pino.Logger;

  constructor(private readonly o: PodSandboxesOptions) {
    this.log = o.log?.child({ component: 'sandboxes' });
  }

  async list(network?: string): Promise<Sandbox[]> {
    const label = [`${SANDBOX_LABELS.sandbox}=true`, `${SANDBOX_LABELS.node}=${this.o.nodeName}`];
    const summaries = await this.o.docker.listContainers({ all: true, filters: { label, ...(network ? { network: [network] } : {}) } });
    const found = summaries.map((s) => {
      const [name, settings] = Object.entries(s.NetworkSettings?.Networks ?? {})[0] ?? ['', undefined];
      return { id: s.Id, network: name, ip: settings?.IPAddress ?? '', running: s.State === 'running' };
    });
    for (const s of found) if (s.ip) this.ips.set(s.id, s.ip);
    return found;
  }

  /** The address last listed for a sandbox. */
  ipOf(id: string): string | undefined {
    return this.ips.get(id);
  }

  /** A running spare on the network, now the caller's; undefined when there is none. */
  async take(network: string): Promise<Sandbox | undefined> {
    const joined = await this.joinedIds();
    const spare = (await this.list(network)).find((s) => s.running && s.ip && !this.taken.has(s.id) && !joined.has(s.id));
    if (spare) this.taken.add(spare.id);
    return spare;
  }

  /** Starts a stopped sandbox (refreshing its address); false when it no longer exists. */
  async revive(id: string): Promise<boolean> {
    try {
      const container = this.o.docker.getContainer(id);
      if (!(await container.inspect()).State.Running) await container.start();
      await this.list();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw new Error(engineMessage(err));
    }
  }

  /** Removes the spares on a network that is about to go. */
  async dropSpares(network: string): Promise<void> {
    const joined = await this.joinedIds();
    for (const s of await this.list(network)) if (!joined.has(s.id) && !this.taken.has(s.id)) await this.remove(s.id);
  }

  /** Removes a sandbox (after the container that joined it is gone); a missing one is no error. */
  async remove(id: string): Promise<void> {
    try {
      await this.o.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (!isNotFound(err)) throw new Error(engineMessage(err));
    }
    this.taken.delete(id);
    this.ips.delete(id);
  }

  /** Brings spares in line with the networks in use; one run at a time, failures wait for the next. */
  maintain(wanted: ReadonlySet<string>): Promise<void> {
    this.maintaining ??= this.maintainOnce(wanted).finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  private async maintainOnce(wanted: ReadonlySet<string>): Promise<void> {
    try {
      const joined = new Set([...(await this.joinedIds()), ...this.taken]);
      const plan = planSandboxes(await this.list(), joined, wanted);
      for (const id of plan.remove) await this.remove(id);
      if (plan.create.length && !(await this.imagePresent())) return;
      for (const network of plan.create) await this.createSpare(network);
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'spare sandboxes not maintained');
    }
  }

  private async createSpare(network: string): Promise<void> {
    const container = await this.o.docker.createContainer({
      Image: this.o.image ?? BUILTIN_PAUSE_IMAGE,
      Cmd: this.o.image ? undefined : PAUSE_COMMAND,
      // Nothing to shut down cleanly, and a PID 1 without handlers would ignore SIGTERM.
      StopSignal: 'SIGKILL',
      Labels: { [SANDBOX_LABELS.sandbox]: 'true', [SANDBOX_LABELS.node]: this.o.nodeName },
      HostConfig: {
        NetworkMode: network,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
        ReadonlyRootfs: true,
        PidsLimit: 16,
        Memory: SANDBOX_MEMORY_BYTES,
        MemorySwap: SANDBOX_MEMORY_BYTES,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
        RestartPolicy: { Name: 'unless-stopped' },
      },
    });
    await container.start();
    this.log?.debug({ network, sandbox: container.id }, 'spare sandbox started');
  }

  private async imagePresent(): Promise<boolean> {
    if (!this.o.image) {
      await ensureBuiltinPauseImage(this.o.docker);
      return true;
    }
    try {
      await this.o.docker.getImage(this.o.image).inspect();
      return true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.log?.info({ image: this.o.image }, 'pulling the sandbox image');
    const stream = await this.o.docker.pull(this.o.image);
    await new Promise<void>((resolve, reject) => this.o.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    return true;
  }

  /** Sandboxes some Berth container of this node joined. */
  private async joinedIds(): Promise<Set<string>> {
    const label = [`${LABELS.managed}=true`, `${LABELS.node}=${this.o.nodeName}`, SANDBOX_LABELS.joined];
    const containers = await this.o.docker.listContainers({ all: true, filters: { label } });
    return new Set(containers.map((c) => c.Labels?.[SANDBOX_LABELS.joined] ?? '').filter(Boolean));
  }
}
