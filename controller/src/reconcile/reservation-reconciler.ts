// Reconciles one reservation by key: re-reads it, plans with planReservation against what its
// node last reported, applies the actions to the store, then publishes what changed: its NAT
// endpoints (in the in-memory NAT table) and its node's desired set (enqueued per node). It
// trusts nothing from the event that woke it, and costs the same however large the cluster is.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { EventRecorder } from '../events/index.ts';
import type { NatEndpoint, NatTable } from '../nat/index.ts';
import { BerthError } from '../errors/index.ts';
import type { StoredReservationStatus } from '../resources/index.ts';
import { isTerminal, PUBLISHED_PHASE, type Phase } from '../domain/phases.ts';
import { admittedImage } from '../domain/admitted-image.ts';
import { setCondition } from '../domain/conditions.ts';
import type { ReconcileResult } from './work-queue.ts';
import { nextDue, planReservation, pullFailureDue, type PlanOptions, type ReservationAction, type ReservationState } from './reservation-plan.ts';

export interface ReservationReconcilerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  guard: AdmissionGuard;
  nat: NatTable;
  events: EventRecorder;
  publicAddress: string;
  /** The node's last report: undefined until it reported on its current stream. */
  observed: (nodeId: string) => ReadonlyMap<string, import('@berth/proto').ContainerStatus> | undefined;
  /** The node's desired container set needs sending again. */
  pushNode: (nodeId: string) => void;
  /** Reconcile this reservation again soon (its NAT rules were waited for off the worker). */
  requeue: (reservationId: string) => void;
  /** A reservation ended: its storage may be released. */
  onEnded?: () => void;
  plan?: PlanOptions;
}

const include = { ports: true, node: true } as const;
type Row = NonNullable<Awaited<ReturnType<Db['reservation']['findUnique']>>> & {
  ports: Array<{ name: string; natPort: number; nodePort: number; nodeId: string }>;
  node: { name: string; address: string } | null;
};

export class ReservationReconciler {
  private readonly log: Logger;

  constructor(private readonly deps: ReservationReconcilerDeps) {
    this.log = deps.log.child({ component: 'reservation-reconciler' });
  }

  async reconcile(id: string): Promise<ReconcileResult> {
    const row = (await this.deps.db.reservation.findUnique({ where: { id }, include })) as Row | null;
    if (!row || isTerminal(row.phase)) {
      // Ended (perhaps by an evacuation or another controller): nothing may stay published.
      this.deps.guard.release(id);
      if (this.deps.nat.set(id, [])) await this.deps.nat.flush();
      if (row?.nodeId) this.deps.pushNode(row.nodeId);
      return undefined;
    }
    const now = this.deps.clock.now();
    const state = toState(row);
    const observed = row.nodeId ? this.deps.observed(row.nodeId) : undefined;
    // Until the node reports after (re)connecting, what runs there is unknown: decide nothing
    // about readiness rather than flap conditions (time-driven transitions still happen).
    const actions = planReservation(state, { container: observed?.get(row.id) }, now, this.deps.plan).filter(
      (a) => a.type !== 'update' || observed !== undefined,
    );
    // Rules first for a reservation turning Running, so an endpoint shown in status already
    // accepts connections. The sync is waited for off the worker: under a burst of starts syncs
    // are spaced (nat-table.ts), and a worker held per start would queue the burst behind them.
    if (actions.some((a) => a.type === 'update' && a.phase === PUBLISHED_PHASE)) {
      this.deps.nat.set(row.id, this.endpoints(row));
      if (!this.deps.nat.isSynced(row.id)) {
        this.deps.nat.flush().then(
          () => this.deps.requeue(row.id),
          (err: unknown) => {
            // The table logs each failed sync once; every reservation waiting on it is only retried.
            this.log.debug({ reservation: row.name, err: err instanceof Error ? err.message : String(err) }, 'nat sync failed, retrying');
            this.deps.requeue(row.id);
          },
        );
        return undefined;
      }
    }
    let phase = state.phase;
    for (const action of actions) phase = (await this.apply(row, action, now)) ?? phase;
    if (phase !== PUBLISHED_PHASE && this.deps.nat.set(row.id, [])) await this.deps.nat.flush();
    // The node's set changes with prepare/start/end; a container expected but not reported (a
    // reservation just moved here, a node that lost it) means the node may not have it either.
    const missing = (phase === 'Starting' || phase === 'Running') && observed !== undefined && !observed.has(row.id);
    if (row.nodeId && (missing || actions.some((a) => a.type !== 'update'))) this.deps.pushNode(row.nodeId);
    const due = dueAfter(state, actions, this.deps.plan);
    return due === undefined ? undefined : { requeueAfterMs: Math.max(0, due - now) };
  }

  /** Endpoints of a reservation whose ports are allocated on its node. */
  endpoints(row: Pick<Row, 'id' | 'ports' | 'node' | 'nodeId'>): NatEndpoint[] {
    if (!row.node) return [];
    return row.ports
      .filter((p) => p.nodeId === row.nodeId)
      .map((p) => ({
        key: `${row.id}/${p.name}`,
        publicAddress: this.deps.publicAddress,
        natPort: p.natPort,
        nodeAddress: row.node!.address,
        nodePort: p.nodePort,
      }));
  }

  /** Applies one action; returns the phase it leaves the reservation in. */
  private async apply(row: Row, action: ReservationAction, now: number): Promise<Phase | undefined> {
    const { db, events } = this.deps;
    const stored = (row.status ?? {}) as StoredReservationStatus;
    const log = this.log.child({ reservation: row.name, id: row.id });
    const event = (reason: string, message: string, warning = false) =>
      events.record({ kind: 'Reservation', objectId: row.id, objectName: row.name, type: warning ? 'Warning' : 'Normal', reason, message });
    switch (action.type) {
      case 'prepare':
        if (row.nodeId) await this.allocate(row, row.nodeId, stored, now);
        return undefined;
      case 'start': {
        if (!row.nodeId) return undefined; // awaiting placement
        await this.allocate(row, row.nodeId, stored, now);
        const conditions = setCondition(
          stored.conditions ?? [],
          { type: 'Ready', status: 'False', reason: 'ContainerCreating', message: 'waiting for the node to start the container' },
          now,
        );
        await db.reservation.update({
          where: { id: row.id },
          data: { phase: 'Starting', status: { ...stored, conditions, observedGeneration: row.generation } },
        });
        event('Starting', `window opened; starting on node ${row.node?.name}`);
        log.info({ node: row.node?.name }, 'reservation starting');
        return 'Starting';
      }
      case 'update': {
        await db.reservation.update({
          where: { id: row.id },
          data: {
            phase: action.phase,
            status: { ...stored, conditions: action.conditions, observedGeneration: row.generation },
            ...(action.startedAt !== undefined ? { startedAt: new Date(action.startedAt) } : {}),
          },
        });
        if (action.event) {
          event(action.event.reason, action.event.message, action.event.warning);
          log.info({ phase: action.phase, reason: action.event.reason }, 'reservation updated');
        }
        return action.phase;
      }
      case 'end': {
        // Ports first: if we crash in between, the next reconcile ends it again and the release is a no-op.
        await this.deps.guard.ports.release(row.id);
        this.deps.guard.release(row.id);
        const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: action.reason, message: action.message }, now);
        await db.reservation.update({
          where: { id: row.id },
          data: { phase: action.phase, activeName: null, endedAt: new Date(Math.min(action.at, now)), status: { ...stored, conditions } },
        });
        event(action.reason, action.message, action.phase === 'Failed');
        log.info({ phase: action.phase, reason: action.reason }, 'reservation ended');
        this.deps.onEnded?.();
        return action.phase;
      }
    }
  }

  /** Ports for the reservation; running out is recorded on it alone, then retried with backoff. */
  private async allocate(row: Row, nodeId: string, stored: StoredReservationStatus, now: number): Promise<void> {
    const ports = admittedImage(row)?.ports ?? []; // the image it was admitted with, as its container
    try {
      row.ports = await this.deps.guard.ports.allocate(row.id, nodeId, ports);
    } catch (err) {
      if (!(err instanceof BerthError) || err.code !== 'NoResources') throw err;
      const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: 'PortsUnavailable', message: err.message }, now);
      if (conditions !== stored.conditions) {
        await this.deps.db.reservation.update({ where: { id: row.id }, data: { status: { ...stored, conditions } } });
        this.deps.events.record({
          kind: 'Reservation',
          objectId: row.id,
          objectName: row.name,
          type: 'Warning',
          reason: 'PortsUnavailable',
          message: err.message,
        });
      }
      throw err;
    }
  }
}

function toState(row: Row): ReservationState {
  const stored = (row.status ?? {}) as StoredReservationStatus;
  return {
    id: row.id,
    phase: row.phase as Phase,
    generation: row.generation,
    startAt: row.startAt.getTime(),
    endAt: row.endAt.getTime(),
    deletedAt: row.deletedAt?.getTime() ?? null,
    startedAt: row.startedAt?.getTime() ?? null,
    conditions: stored.conditions ?? [],
    prepared: row.ports.length > 0,
  };
}

function dueAfter(state: ReservationState, actions: ReservationAction[], plan: PlanOptions = {}): number | undefined {
  if (actions.some((a) => a.type === 'end')) return undefined;
  if (actions.some((a) => a.type === 'start')) return state.endAt;
  if (actions.some((a) => a.type === 'prepare')) return state.startAt;
  const update = actions.find((a) => a.type === 'update');
  const conditions = update?.type === 'update' ? update.conditions : state.conditions;
  const pull = pullFailureDue(conditions, plan.pullFailureTimeoutMs);
  const due = nextDue(state, plan.leadMs);
  return pull !== undefined && due !== undefined ? Math.min(pull, due) : (due ?? pull);
}
