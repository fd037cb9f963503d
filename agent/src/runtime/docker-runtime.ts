import Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type pino from 'pino';
import type { ContainerSecurity, PortBinding } from '@berth/proto';
import { LABELS, type ContainerRuntime, type CreateRequest, type ObservedContainer, type RuntimeEvent } from './container-runtime.ts';
import { nanoCpus } from './cpu-limit.ts';
import { DEFAULT_DOCKER_HOST, parseDockerHost } from './docker-host.ts';
import { engineMessage, isNotFound } from './engine-error.ts';
import { ephemeralStorageOf, hardenedHostConfig, securityOf } from './hardening.ts';
import { PodSandboxes, SANDBOX_LABELS } from './pod-sandboxes.ts';

export type RestartPolicyName = 'unless-stopped' | 'on-failure';

export interface DockerRuntimeOptions {
  nodeName: string;
  /** unix:///var/run/docker.sock (default) or tcp://host:port */
  dockerHost?: string;
  restartPolicy?: RestartPolicyName;
  log?: pino.Logger;
  /** false only for a measurement (protections.ts): containers get no hardening options. */
  harden?: boolean;
  /**
   * Warm sandboxes: a container on a tenant network joins a spare's network namespace when there
   * is one, and its ports are published by the agent (network/port-forwarder.ts), not the engine.
   */
  sandboxes?: { image?: string };
}

const WATCHED_EVENTS = ['start', 'die', 'health_status', 'destroy', 'oom'];
const EVENT_RETRY_MS = 1000;

export class DockerRuntime implements ContainerRuntime {
  readonly nodeName: string;
  readonly docker: Docker;
  private readonly restartPolicy: RestartPolicyName;
  private readonly log?: pino.Logger;
  private readonly harden: boolean;
  readonly sandboxes?: PodSandboxes;

  constructor(opts: DockerRuntimeOptions) {
    if (!opts.nodeName) throw new Error('DockerRuntime: nodeName is required');
    this.nodeName = opts.nodeName;
    this.docker = new Docker(parseDockerHost(opts.dockerHost ?? DEFAULT_DOCKER_HOST));
    this.restartPolicy = opts.restartPolicy ?? 'unless-stopped';
    this.harden = opts.harden ?? true;
    this.log = opts.log?.child({ component: 'docker-runtime' });
    if (opts.sandboxes) this.sandboxes = new PodSandboxes({ docker: this.docker, nodeName: this.nodeName, image: opts.sandboxes.image, log: opts.log });
  }

  private ownerFilters(): string[] {
    return [`${LABELS.managed}=true`, `${LABELS.node}=${this.nodeName}`];
  }

  private owns(labels: Record<string, string> | undefined): boolean {
    return labels?.[LABELS.managed] === 'true' && labels?.[LABELS.node] === this.nodeName;
  }

  async listManaged(): Promise<ObservedContainer[]> {
    const summaries = await this.docker.listContainers({ all: true, filters: { label: this.ownerFilters() } });
    const inspected = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return inspected.filter((c): c is ObservedContainer => c !== undefined);
  }

  async inspect(containerId: string): Promise<ObservedContainer | undefined> {
    let info: ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(containerId).inspect();
    } catch (err) {
      // Containers vanish between list and inspect when removed concurrently.
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!this.owns(info.Config.Labels)) return undefined;
    return toObserved(info);
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async pull(ref: string): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref);
    } catch (err) {
      throw new Error(engineMessage(err));
    }
    // The engine reports most pull failures inside the progress stream with HTTP 200.
    const output = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, out: unknown[]) => (err ? reject(new Error(engineMessage(err))) : resolve(out as never))),
    );
    const failed = output.find((o) => o.error || o.errorDetail);
    if (failed) throw new Error(failed.errorDetail?.message ?? failed.error ?? 'pull failed');
    this.log?.info({ image: ref }, 'image pulled');
  }

  async create({ spec, specHash, mounts, network }: CreateRequest): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    const portNames: Record<string, string> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/tcp`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: String(p.hostPort) });
      portNames[String(p.containerPort)] = p.name;
    }
    const sandbox = network && this.sandboxes ? await this.sandboxes.take(network).catch(() => undefined) : undefined;
    // In a sandbox the engine may not publish ports (they belong to the namespace's owner): the
    // agent does, from this label.
    const joined = sandbox
      ? {
          NetworkMode: `container:${sandbox.id}`,
          labels: {
            [SANDBOX_LABELS.joined]: sandbox.id,
            [SANDBOX_LABELS.network]: sandbox.network,
            [SANDBOX_LABELS.published]: JSON.stringify(bindings),
          },
        }
      : undefined;
    try {
      const container = await this.docker.createContainer({
        name: spec.name || undefined,
        Image: spec.image,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ExposedPorts: joined ? undefined : exposed,
        Labels: {
          [LABELS.managed]: 'true',
          [LABELS.node]: this.nodeName,
          [LABELS.reservation]: spec.reservationId,
          [LABELS.generation]: String(spec.generation),
          [LABELS.specHash]: specHash,
          [LABELS.portNames]: JSON.stringify(portNames),
          [LABELS.tenant]: spec.tenant ?? '',
          [LABELS.ephemeralStorage]: String(ephemeralStorageOf(spec)),
          ...joined?.labels,
        },
        HostConfig: {
          ...(this.harden ? hardenedHostConfig(spec, network) : { NetworkMode: network }),
          ...(joined ? { NetworkMode: joined.NetworkMode } : {}),
          Memory: spec.memoryBytes > 0 ? spec.memoryBytes : undefined,
          NanoCpus: nanoCpus(spec),
          PortBindings: joined ? undefined : bindings,
          Mounts: mounts?.length ? mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target })) : undefined,
          RestartPolicy: this.restartPolicy === 'on-failure' ? { Name: 'on-failure', MaximumRetryCount: 0 } : { Name: 'unless-stopped' },
        },
      });
      this.log?.info({ reservation: spec.reservationId, container: container.id, sandbox: sandbox?.id }, 'container created');
      return container.id;
    } catch (err) {
      if (sandbox) await this.sandboxes?.remove(sandbox.id).catch(() => undefined);
      throw new Error(engineMessage(err));
    }
  }

  async start(containerId: string): Promise<void> {
    await this.guarded(containerId, async (labels) => {
      const container = this.docker.getContainer(containerId);
      try {
        await container.start();
      } catch (err) {
        // 304: already running, which is what we wanted.
        if ((err as { statusCode?: number }).statusCode === 304) return;
        const sandbox = labels[SANDBOX_LABELS.joined];
        if (!sandbox || !this.sandboxes) throw new Error(engineMessage(err));
        // After an engine restart the sandbox may come up later than the container, or not at all.
        if (await this.sandboxes.revive(sandbox)) {
          await container.start().catch(rethrowEngine);
          return;
        }
        await container.remove({ force: true, v: true }).catch(() => undefined);
        throw new Error(`${engineMessage(err)}; its network sandbox is gone, so the container is made again`);
      }
    });
  }

  async stop(containerId: string): Promise<void> {
    await this.guarded(containerId, async () => {
      try {
        await this.docker.getContainer(containerId).stop({ t: 10 });
        this.log?.info({ container: containerId }, 'container stopped');
      } catch (err) {
        // 304: already stopped.
        if ((err as { statusCode?: number }).statusCode === 304) return;
        throw new Error(engineMessage(err));
      }
    });
  }

  async restart(containerId: string): Promise<void> {
    await this.guarded(containerId, async () => {
      try {
        await this.docker.getContainer(containerId).restart({ t: 10 });
        this.log?.info({ container: containerId }, 'container restarted');
      } catch (err) {
        throw new Error(engineMessage(err));
      }
    });
  }

  async remove(containerId: string): Promise<void> {
    await this.guarded(containerId, async (labels) => {
      try {
        await this.docker.getContainer(containerId).remove({ force: true, v: true });
        this.log?.info({ container: containerId }, 'container removed');
      } catch (err) {
        if (isNotFound(err)) return;
        // 409: removal already in progress from another call.
        if ((err as { statusCode?: number }).statusCode === 409 && /in progress/i.test(engineMessage(err))) return;
        throw new Error(engineMessage(err));
      }
      // A used sandbox is never handed out again; one left by a crash here goes as a surplus spare.
      const sandbox = labels[SANDBOX_LABELS.joined];
      if (sandbox) await this.sandboxes?.remove(sandbox);
    });
  }

  /** Refuses to act on a container that is not this node's Berth container. */
  private async guarded(containerId: string, action: (labels: Record<string, string>) => Promise<void>): Promise<void> {
    let labels: Record<string, string> | undefined;
    try {
      labels = (await this.docker.getContainer(containerId).inspect()).Config.Labels;
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(engineMessage(err));
    }
    if (!this.owns(labels)) throw new Error(`container ${containerId} is not managed by Berth on node ${this.nodeName}`);
    await action(labels ?? {});
  }

  watchEvents(onEvent: (e: RuntimeEvent) => void): () => void {
    let stopped = false;
    let abort = new AbortController();
    let retry: NodeJS.Timeout | undefined;
    const subscribe = async (): Promise<void> => {
      if (stopped) return;
      abort = new AbortController();
      try {
        const stream = (await this.docker.getEvents({
          filters: { type: ['container'], label: this.ownerFilters(), event: WATCHED_EVENTS },
          abortSignal: abort.signal,
        } as never)) as unknown as NodeJS.ReadableStream;
        let buf = '';
        stream.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) emit(line);
          }
        });
        stream.on('error', () => undefined);
        stream.on('close', scheduleRetry);
        stream.on('end', scheduleRetry);
      } catch (err) {
        this.log?.warn({ err: engineMessage(err) }, 'docker events unavailable, retrying');
        scheduleRetry();
      }
    };
    const emit = (line: string): void => {
      try {
        const e = JSON.parse(line) as { id?: string; Action?: string; Actor?: { Attributes?: Record<string, string> } };
        onEvent({
          containerId: e.id ?? '',
          action: e.Action ?? '',
          reservationId: e.Actor?.Attributes?.[LABELS.reservation] ?? '',
        });
      } catch {
        // A malformed event line carries nothing we can act on.
      }
    };
    // The engine may restart under us; keep the subscription alive until stopped.
    const scheduleRetry = (): void => {
      if (stopped || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        void subscribe();
      }, EVENT_RETRY_MS);
    };
    void subscribe();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      abort.abort();
    };
  }
}

function rethrowEngine(err: unknown): never {
  throw new Error(engineMessage(err));
}

function toObserved(info: ContainerInspectInfo): ObservedContainer {
  const labels = info.Config.Labels ?? {};
  const state = info.State;
  const ephemeralStorageLimitBytes = Number(labels[LABELS.ephemeralStorage] ?? 0) || 0;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    reservationId: labels[LABELS.reservation] ?? '',
    generation: Number(labels[LABELS.generation] ?? 0) || 0,
    specHash: labels[LABELS.specHash] ?? '',
    state: state.Status,
    health: state.Health?.Status ?? 'none',
    restartCount: info.RestartCount ?? 0,
    startedAtMs: startedAtMs(state.StartedAt),
    ports: portsOf(info, labels),
    sandboxId: labels[SANDBOX_LABELS.joined] || undefined,
    message: exitMessage(state),
    tenant: labels[LABELS.tenant] ?? '',
    ephemeralStorageLimitBytes,
    security: withSandboxNetwork(securityOf(info, ephemeralStorageLimitBytes), labels),
  };
}

function startedAtMs(iso: string | undefined): number {
  const ms = iso ? Date.parse(iso) : NaN;
  // Docker reports never-started containers as 0001-01-01T00:00:00Z.
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function portsOf(info: ContainerInspectInfo, labels: Record<string, string>): PortBinding[] {
  let names: Record<string, string> = {};
  try {
    names = JSON.parse(labels[LABELS.portNames] ?? '{}') as Record<string, string>;
  } catch {
    names = {};
  }
  const configured = publishedOf(info, labels);
  const ports: PortBinding[] = [];
  for (const [key, binds] of Object.entries(configured)) {
    const containerPort = Number(key.split('/')[0]);
    for (const b of binds ?? []) {
      ports.push({ name: names[String(containerPort)] ?? '', containerPort, hostPort: Number(b.HostPort) || 0, hostIp: b.HostIp ?? '' });
    }
  }
  return ports.sort((a, b) => a.containerPort - b.containerPort || a.hostPort - b.hostPort);
}

/** A container in a sandbox shows the tenant network it is on, not `container:ID`. */
function withSandboxNetwork(security: ContainerSecurity, labels: Record<string, string>): ContainerSecurity {
  const network = labels[SANDBOX_LABELS.network];
  return network ? { ...security, network } : security;
}

type Bindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;

/** The engine's bindings, or in a sandbox the ones the agent publishes. */
function publishedOf(info: ContainerInspectInfo, labels: Record<string, string>): Bindings {
  const published = labels[SANDBOX_LABELS.published];
  if (!published) return (info.HostConfig.PortBindings ?? {}) as Bindings;
  try {
    return JSON.parse(published) as Bindings;
  } catch {
    return {};
  }
}

function exitMessage(state: ContainerInspectInfo['State']): string {
  if (state.Error) return state.Error;
  if (state.OOMKilled) return 'killed: out of memory';
  if (state.Status === 'exited' || state.Status === 'dead') return `exited with code ${state.ExitCode}`;
  if (state.Status === 'restarting') return `restarting after exit code ${state.ExitCode}`;
  return '';
}
