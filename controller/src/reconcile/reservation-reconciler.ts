// Applies planReservation's decisions to the database, then publishes the result: each
// connected node's desired container set and the full NAT rule set. Level-triggered: every pass
// re-reads everything it needs and trusts nothing from the event that woke it.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../server/clock.ts';
import type { AgentHub } from '../agents/index.ts';
import type { ImageSpecInput, ReservationSpecInput } from '../manifests/index.ts';
import { allocatePorts, releasePorts, type PortRanges } from '../ports/index.ts';
import { recordEvent } from '../events/index.ts';
import { PUBLISHED_PHASE, type StoredReservationStatus } from '../resources/index.ts';
import { setCondition } from './conditions.ts';
import { desiredContainers } from './desired-containers.ts';
import { nextDue, planReservation, TERMINAL_PHASES, type Phase, type ReservationAction, type ReservationState } from './reservation-plan.ts';

export interface NatSync {
  sync(endpoints: Array<{ key: string; publicAddress: string; natPort: number; nodeAddress: string; nodePort: number }>): Promise<void>;
}

export interface ReservationReconcilerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  hub: AgentHub;
  nat: NatSync;
  publicAddress: string;
  portRanges: PortRanges;
}

type Row = Awaited<ReturnType<ReservationReconciler['loadActive']>>[number];

export class ReservationReconciler {
  private readonly log: Logger;

  constructor(private readonly deps: ReservationReconcilerDeps) {
    this.log = deps.log.child({ component: 'reservation-reconciler' });
  }

  /** One pass; returns when the next one is due by the clock alone. */
  async pass(): Promise<number | undefined> {
    const now = this.deps.clock.now();
    let due: number | undefined;
    const planned: Array<{ row: Row; actions: ReservationAction[] }> = [];
    for (const row of await this.loadActive()) {
      const state = toState(row);
      const observed = row.nodeId ? this.deps.hub.observed(row.nodeId) : undefined;
      // Until the node reports after (re)connecting, what runs there is unknown: decide nothing
      // about readiness rather than flap conditions (time-driven transitions still happen).
      const actions = planReservation(state, { container: observed?.get(row.id) }, now).filter(
        (a) => a.type !== 'update' || observed !== undefined,
      );
      planned.push({ row, actions });
      const next = dueAfter(state, actions);
      if (next !== undefined) due = Math.min(due ?? next, next);
    }
    // Rules first for reservations turning Running, so that an endpoint shown in status already
    // accepts connections.
    const turningRunning = planned.filter(({ actions }) => actions.some((a) => a.type === 'update' && a.phase === PUBLISHED_PHASE));
    if (turningRunning.length > 0) await this.syncNat(turningRunning.map(({ row }) => row.id));
    for (const { row, actions } of planned) for (const action of actions) await this.apply(row, action, now);
    await this.publish();
    return due;
  }

  loadActive() {
    return this.deps.db.reservation.findMany({
      where: { phase: { notIn: [...TERMINAL_PHASES] } },
      include: { ports: true, node: true },
      orderBy: { startAt: 'asc' },
    });
  }

  private async apply(row: Row, action: ReservationAction, now: number): Promise<void> {
    const { db } = this.deps;
    const stored = (row.status ?? {}) as StoredReservationStatus;
    const log = this.log.child({ reservation: row.name, id: row.id });
    switch (action.type) {
      case 'prepare':
        if (row.nodeId) await this.allocate(row, row.nodeId);
        return;
      case 'start': {
        if (!row.nodeId) return; // awaiting placement
        await this.allocate(row, row.nodeId);
        const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: 'ContainerCreating', message: 'waiting for the node to start the container' }, now);
        await db.reservation.update({ where: { id: row.id }, data: { phase: 'Starting', status: { ...stored, conditions, observedGeneration: row.generation } } });
        await recordEvent(db, { kind: 'Reservation', objectId: row.id, objectName: row.name, reason: 'Starting', message: `window opened; starting on node ${row.node?.name}` });
        log.info({ node: row.node?.name }, 'reservation starting');
        return;
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
          await recordEvent(db, { kind: 'Reservation', objectId: row.id, objectName: row.name, type: action.event.warning ? 'Warning' : 'Normal', reason: action.event.reason, message: action.event.message });
          log.info({ phase: action.phase, reason: action.event.reason }, 'reservation updated');
        }
        return;
      }
      case 'end': {
        // Ports first: if we crash in between, the next pass ends it again and the release is a no-op.
        await releasePorts(db, row.id);
        const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: action.reason, message: action.message }, now);
        await db.reservation.update({
          where: { id: row.id },
          data: { phase: action.phase, activeName: null, endedAt: new Date(Math.min(action.at, now)), status: { ...stored, conditions } },
        });
        await recordEvent(db, { kind: 'Reservation', objectId: row.id, objectName: row.name, reason: action.reason, message: action.message });
        log.info({ phase: action.phase }, 'reservation ended');
        return;
      }
    }
  }

  private async allocate(row: Row, nodeId: string): Promise<void> {
    const image = await this.deps.db.image.findUnique({ where: { name: row.imageName } });
    const ports = (image?.spec as ImageSpecInput | undefined)?.ports ?? [];
    await allocatePorts(this.deps.db, row.id, nodeId, ports, this.deps.portRanges);
  }

  /** Pushes each connected node's desired set, then syncs the NAT rules. */
  private async publish(): Promise<void> {
    const { db, hub } = this.deps;
    const [active, images] = await Promise.all([
      // Scheduled reservations with ports are prepared ahead of their window (see 'prepare').
      db.reservation.findMany({ where: { OR: [{ phase: { in: ['Starting', 'Running'] } }, { phase: 'Scheduled', ports: { some: {} } }] }, include: { ports: true } }),
      db.image.findMany(),
    ]);
    const imageSpecs = new Map(images.map((i) => [i.name, i.spec as ImageSpecInput]));
    for (const nodeId of hub.connectedNodeIds()) {
      const node = await db.node.findUnique({ where: { id: nodeId } });
      if (!node) continue;
      const mine = active
        .filter((r) => r.nodeId === nodeId)
        .map((r) => ({ ...r, spec: r.spec as ReservationSpecInput }));
      hub.push(nodeId, desiredContainers(mine, imageSpecs, node.address));
    }
    await this.syncNat();
  }

  /** The full rule set: Running reservations' ports, plus those of `alsoPublish` (turning Running). */
  private async syncNat(alsoPublish: string[] = []): Promise<void> {
    const allocations = await this.deps.db.portAllocation.findMany({
      where: { OR: [{ reservation: { phase: PUBLISHED_PHASE } }, { reservationId: { in: alsoPublish } }] },
      include: { node: true },
    });
    await this.deps.nat.sync(
      allocations.map((p) => ({ key: `${p.reservationId}/${p.name}`, publicAddress: this.deps.publicAddress, natPort: p.natPort, nodeAddress: p.node.address, nodePort: p.nodePort })),
    );
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

function dueAfter(state: ReservationState, actions: ReservationAction[]): number | undefined {
  if (actions.some((a) => a.type === 'end')) return undefined;
  if (actions.some((a) => a.type === 'start')) return state.endAt;
  if (actions.some((a) => a.type === 'prepare')) return state.startAt;
  return nextDue(state);
}
