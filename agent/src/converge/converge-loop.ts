import type pino from 'pino';
import type { ContainerReport, ContainerSpec, DesiredState } from '@berth/proto';
import type { ContainerRuntime, ObservedContainer } from '../runtime/container-runtime.ts';
import { applyActions, type Failures } from './apply.ts';
import { nextStart, planConverge } from './plan.ts';
import { PullBackoff } from './pull-backoff.ts';
import { buildReport } from './report.ts';
import {
  applyStorage,
  containerMounts,
  mountStatuses,
  planStorageRelease,
  planStorageSetup,
  storageNotReady,
  type StorageHost,
  type StorageAction,
  type StorageLayout,
  type StorageObservation,
} from '../storage/index.ts';
import {
  planNetworkRelease,
  releaseNetworks,
  setupNetworks,
  tenantNetworkName,
  tenantOf,
  DEFAULT_NETWORK_LINGER_MS,
  type TenantNetworkHost,
} from '../network/index.ts';
import type { EphemeralStorageView } from '../monitoring/ephemeral-storage.ts';

export interface ConvergeLoopOptions {
  runtime: ContainerRuntime;
  onReport: (report: ContainerReport) => void;
  log?: pino.Logger;
  /** Re-observe (and re-converge, once a desired state is known) this often. */
  resyncIntervalMs?: number;
  /** Volumes and mounts of the local / remote profiles; without it those specs never start. */
  storage?: { host: StorageHost; layout: StorageLayout };
  /** A network per tenant; without it containers join the engine's default network. */
  networks?: { host: TenantNetworkHost; lingerMs?: number };
  /** Rules that must be in place before any container is created or started. */
  isolation?: { ensure(): Promise<void> };
  /** Containers stopped for filling their disk stay stopped and are reported failed. */
  ephemeral?: EphemeralStorageView;
  /** Warm sandboxes: the ports of containers in one are published by the agent (network/sandbox-ports.ts). */
  sandboxes?: {
    publish(observed: readonly ObservedContainer[]): Promise<void>;
    /** A spare for each of these networks, and for no other, soon. */
    tend(networks: ReadonlySet<string>): void;
    /** Removes the spares on these networks, so the engine lets them go. */
    release(networks: readonly string[]): Promise<void>;
  };
}

const NO_STORAGE: StorageObservation = { volumes: [], mounts: [] };
const SPARE_REFILL_DELAY_MS = 1_000;

/**
 * Level-triggered, serialised convergence: at most one pass runs at a time, and any number of
 * triggers that arrive meanwhile collapse into one more pass against the latest desired state.
 */
export class ConvergeLoop {
  private desired: DesiredState | undefined;
  private dirty = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly pullBackoff = new PullBackoff();
  private readonly log?: pino.Logger;
  lastReport: ContainerReport | undefined;
  private lastObserved: ObservedContainer[] = [];
  private storageBlocked: ReadonlySet<string> = new Set();
  private networkIdleSince: ReadonlyMap<string, number> = new Map();
  /** Tenant networks known to exist (the last listing, plus what was created since). */
  private networksSeen: Set<string> | undefined;

  constructor(private readonly opts: ConvergeLoopOptions) {
    this.log = opts.log?.child({ component: 'converge' });
  }

  start(): void {
    const every = this.opts.resyncIntervalMs ?? 5_000;
    this.timer = setInterval(() => this.trigger(), every);
    this.timer.unref();
  }

  /** The containers the controller last said belong on this node (undefined before it said). */
  desiredContainers(): readonly ContainerSpec[] | undefined {
    return this.desired?.containers;
  }

  /** Replaces the desired state; the returned promise settles once it has been converged to. */
  setDesired(desired: DesiredState): Promise<void> {
    this.desired = desired;
    return this.trigger();
  }

  /** Asks for one more pass; returns when a pass that started after this call has finished. */
  trigger(): Promise<void> {
    this.dirty = true;
    if (!this.running && !this.stopped) {
      this.running = this.drain().finally(() => {
        this.running = undefined;
      });
    }
    return this.running ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.startTimer);
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.pass();
      } catch (err) {
        this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'converge pass failed');
      }
    }
  }

  private async pass(): Promise<void> {
    const { runtime } = this.opts;
    const desired = this.desired;
    let observed = await runtime.listManaged();
    let failures: Failures = new Map();
    let storage = await this.observeStorage();
    if (desired) {
      // Storage first: a container is created or started only once its storage is in place.
      const setup = planStorageSetup(desired.containers, storage, this.layout());
      const storageFailures = await this.applyStoragePlan(setup);
      if (storageFailures) storage = await this.observeStorage();
      if (await this.restartRemounted(setup, storageFailures, observed)) observed = await runtime.listManaged();
      const blocked = new Set(this.opts.storage ? storageNotReady(desired.containers, storage, this.layout()) : []);
      const networkFailures = await this.prepareNetworks(desired.containers, blocked);
      for (const id of networkFailures.keys()) blocked.add(id);
      const images = await this.presentImages(desired);
      const now = Date.now();
      this.storageBlocked = blocked;
      const evicted = new Set(observed.filter((c) => this.opts.ephemeral?.evicted(c.id)).map((c) => c.id));
      const actions = planConverge(desired.containers, observed, images, now, blocked, evicted);
      this.armStart(nextStart(desired.containers, now), now);
      if (actions.length > 0) {
        this.log?.debug({ version: desired.version, actions: actions.map((a) => a.kind) }, 'applying converge plan');
        failures = await applyActions(actions, {
          runtime,
          log: this.log,
          pullBackoff: this.pullBackoff,
          mountsFor: (s) => containerMounts(s, this.layout()),
          networkFor: (s) => this.networkFor(s),
        });
        observed = await runtime.listManaged();
      }
      // Released only after their containers are gone, so nothing is pulled from under one.
      const releaseFailures = await this.applyStoragePlan(planStorageRelease(desired.containers, storage, observed, this.layout()));
      if (releaseFailures) storage = await this.observeStorage();
      for (const [id, message] of [...(storageFailures ?? []), ...networkFailures, ...(releaseFailures ?? [])])
        if (!failures.has(id)) failures.set(id, message);
    }
    this.lastObserved = observed;
    await this.publishSandboxed(observed, failures);
    const mounts = this.opts.storage
      ? mountStatuses(desired?.containers ?? [], storage, failures, this.layout(), (id) => this.opts.storage!.host.remoteSource(id))
      : new Map();
    const report = buildReport(desired?.version ?? 0, desired?.containers ?? [], observed, failures, mounts, this.opts.ephemeral);
    this.lastReport = report;
    this.opts.onReport(report);
    // After the report: nothing in it depends on this, and a start should not wait for it.
    if (desired) await this.releaseIdleNetworks(desired.containers, observed);
  }

  /** Every pass, desired state or not: a restarted agent serves its running containers at once. */
  private async publishSandboxed(observed: ObservedContainer[], failures: Failures): Promise<void> {
    try {
      await this.opts.sandboxes?.publish(observed);
    } catch (err) {
      const message = `ports not published: ${err instanceof Error ? err.message : String(err)}`;
      this.log?.error({ err: message }, 'sandbox ports not published');
      for (const c of observed) if (c.sandboxId && !failures.has(c.reservationId)) failures.set(c.reservationId, message);
    }
  }

  /**
   * The isolation rules, then the tenant networks of the specs not otherwise blocked. Returns
   * the reservations that must not be created or started, with why. Without isolation in place
   * nothing starts at all: a container must never run unconfined.
   */
  private async prepareNetworks(specs: ContainerSpec[], blocked: ReadonlySet<string>): Promise<Failures> {
    const failed = (message: string, of: ContainerSpec[]): Failures => new Map(of.map((s) => [s.reservationId, message]));
    try {
      await this.opts.isolation?.ensure();
    } catch (err) {
      const message = `network isolation unavailable: ${err instanceof Error ? err.message : String(err)}`;
      this.log?.error({ err: message }, 'isolation rules not in place; no container is started');
      return failed(message, specs);
    }
    if (!this.opts.networks) return new Map();
    const open = specs.filter((s) => !blocked.has(s.reservationId));
    const needed = new Set(open.map((s) => this.networkFor(s)!));
    if (this.networksSeen && [...needed].every((n) => this.networksSeen!.has(n))) return new Map();
    const failures = await setupNetworks(open, this.opts.networks.host, this.opts.runtime.nodeName, this.log).catch((err: unknown) =>
      failed(`network failed: ${err instanceof Error ? err.message : String(err)}`, open),
    );
    const made = open.filter((s) => !failures.has(s.reservationId)).map((s) => this.networkFor(s)!);
    if (this.networksSeen) for (const n of made) this.networksSeen.add(n);
    return failures;
  }

  private networkFor(spec: ContainerSpec): string | undefined {
    const networks = this.opts.networks;
    if (!networks) return undefined;
    const tenant = tenantOf(spec);
    return networks.host.nameFor?.(tenant) ?? tenantNetworkName(this.opts.runtime.nodeName, tenant);
  }

  private async releaseIdleNetworks(desired: ContainerSpec[], observed: ObservedContainer[]): Promise<void> {
    const networks = this.opts.networks;
    if (!networks) return;
    try {
      const listed = await networks.host.list();
      const release = planNetworkRelease(desired, listed, observed, this.networkIdleSince, Date.now(), networks.lingerMs ?? DEFAULT_NETWORK_LINGER_MS);
      this.networkIdleSince = release.idleSince;
      await this.opts.sandboxes?.release(release.actions.map((a) => a.name));
      await releaseNetworks(release.actions, networks.host, this.log);
      const removed = new Set(release.actions.map((a) => a.name));
      this.networksSeen = new Set(listed.map((n) => n.name).filter((n) => !removed.has(n)));
      // A network keeps its spare sandbox while it lingers, as the network itself waits for the
      // tenant; a spare network has one ready for the new tenant that takes it.
      this.opts.sandboxes?.tend(new Set([...this.networksSeen, ...(networks.host.spareNames?.() ?? [])]));
      // Spares for the next new tenant, a little later: the engine is then done starting what this
      // pass started (a network create is ~20 iptables calls), and no pass waits for them.
      if (networks.host.refill) setTimeout(() => void (this.stopped || networks.host.refill?.()), SPARE_REFILL_DELAY_MS).unref();
    } catch (err) {
      this.networksSeen = undefined;
      this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'tenant networks unavailable');
    }
  }

  /**
   * A container keeps the dead mount it was started with; a restart binds the fresh one. Returns
   * whether any container was restarted.
   */
  private async restartRemounted(setup: StorageAction[], failures: Failures | undefined, observed: ObservedContainer[]): Promise<boolean> {
    const remounted = new Set(setup.filter((a) => a.kind === 'remount' && !failures?.has(a.reservationId)).map((a) => a.reservationId));
    const affected = observed.filter((c) => remounted.has(c.reservationId) && c.state === 'running');
    for (const c of affected) {
      await this.opts.runtime.restart(c.id).catch((err) => this.log?.warn({ reservation: c.reservationId, err: String(err) }, 'restart after remount failed'));
    }
    return affected.length > 0;
  }

  private layout(): StorageLayout {
    return this.opts.storage?.layout ?? { nodeName: this.opts.runtime.nodeName, mountRoot: '' };
  }

  private async observeStorage(): Promise<StorageObservation> {
    return this.opts.storage ? this.opts.storage.host.observe() : NO_STORAGE;
  }

  /** Returns the failures, or undefined when there was nothing to do. */
  private async applyStoragePlan(actions: ReturnType<typeof planStorageSetup>): Promise<Failures | undefined> {
    if (!this.opts.storage || actions.length === 0) return undefined;
    return applyStorage(actions, this.opts.storage.host, this.log);
  }

  /** Prepared containers start on this node's clock at their window's start, not on a message. */
  private armStart(at: number | undefined, now: number): void {
    clearTimeout(this.startTimer);
    if (at === undefined || this.stopped) return;
    this.startTimer = setTimeout(() => void this.startDue(), at - now);
    this.startTimer.unref();
  }

  /**
   * At a window's start, starts the prepared containers straight away from the last observation
   * (a full pass first would add several engine round trips), then converges as usual.
   */
  private async startDue(): Promise<void> {
    const now = Date.now();
    const due = new Set((this.desired?.containers ?? []).filter((s) => s.startAtMs && s.startAtMs <= now).map((s) => s.reservationId));
    await Promise.all(
      this.lastObserved
        .filter((c) => due.has(c.reservationId) && c.state === 'created' && !this.storageBlocked.has(c.reservationId))
        .map((c) => this.opts.runtime.start(c.id).catch((err) => this.log?.warn({ reservation: c.reservationId, err: String(err) }, 'prepared start failed'))),
    );
    await this.trigger();
  }

  private async presentImages(desired: DesiredState): Promise<Set<string>> {
    const present = new Set<string>();
    await Promise.all(
      [...new Set(desired.containers.map((s) => s.image))].map(async (image) => {
        if (await this.opts.runtime.imageExists(image)) present.add(image);
      }),
    );
    return present;
  }
}
