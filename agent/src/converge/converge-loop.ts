import type pino from 'pino';
import type { ContainerReport, DesiredState } from '@berth/proto';
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

export interface ConvergeLoopOptions {
  runtime: ContainerRuntime;
  onReport: (report: ContainerReport) => void;
  log?: pino.Logger;
  /** Re-observe (and re-converge, once a desired state is known) this often. */
  resyncIntervalMs?: number;
  /** Volumes and mounts of the local / remote profiles; without it those specs never start. */
  storage?: { host: StorageHost; layout: StorageLayout };
}

const NO_STORAGE: StorageObservation = { volumes: [], mounts: [] };

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

  constructor(private readonly opts: ConvergeLoopOptions) {
    this.log = opts.log?.child({ component: 'converge' });
  }

  start(): void {
    const every = this.opts.resyncIntervalMs ?? 5_000;
    this.timer = setInterval(() => this.trigger(), every);
    this.timer.unref();
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
      const blocked = this.opts.storage ? storageNotReady(desired.containers, storage, this.layout()) : new Set<string>();
      const images = await this.presentImages(desired);
      const now = Date.now();
      this.storageBlocked = blocked;
      const actions = planConverge(desired.containers, observed, images, now, blocked);
      this.armStart(nextStart(desired.containers, now), now);
      if (actions.length > 0) {
        this.log?.debug({ version: desired.version, actions: actions.map((a) => a.kind) }, 'applying converge plan');
        failures = await applyActions(actions, { runtime, log: this.log, pullBackoff: this.pullBackoff, mountsFor: (s) => containerMounts(s, this.layout()) });
        observed = await runtime.listManaged();
      }
      // Released only after their containers are gone, so nothing is pulled from under one.
      const releaseFailures = await this.applyStoragePlan(planStorageRelease(desired.containers, storage, observed, this.layout()));
      if (releaseFailures) storage = await this.observeStorage();
      for (const [id, message] of [...(storageFailures ?? []), ...(releaseFailures ?? [])]) if (!failures.has(id)) failures.set(id, message);
    }
    this.lastObserved = observed;
    const mounts = this.opts.storage
      ? mountStatuses(desired?.containers ?? [], storage, failures, this.layout(), (id) => this.opts.storage!.host.remoteSource(id))
      : new Map();
    const report = buildReport(desired?.version ?? 0, desired?.containers ?? [], observed, failures, mounts);
    this.lastReport = report;
    this.opts.onReport(report);
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
