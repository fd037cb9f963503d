// The effect of planEvacuation: moves a lost or drained node's reservations (ports included, the
// public port kept) or fails them with the reason. Callers are inside AdmissionGuard.run, so a
// move and an admission never commit the same capacity twice; placements are decided on the
// in-memory capacity index and only the node's own reservations are read from the store.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { EventRecorder } from '../events/index.ts';
import type { StoredReservationStatus } from '../resources/index.ts';
import { setCondition } from '../domain/conditions.ts';
import { planEvacuation, type EvacuationAction, type Placer } from './plan-node-loss.ts';
import { TERMINAL_PHASES } from '../domain/phases.ts';

export interface EvacuateDeps {
  db: Db;
  log: Logger;
  strategy: Strategy;
  guard: AdmissionGuard;
  events: EventRecorder;
}

export interface EvacuationResult {
  rescheduled: Array<{ reservation: string; node: string; id: string; toNodeId: string }>;
  failed: Array<{ reservation: string; reason: string; id: string }>;
  /** Left on the node because nothing else fits (drain only; a lost node fails them). */
  remaining: Array<{ reservation: string; reason: string }>;
}

/** `cause` completes "node X ..." in events, e.g. "is NotReady" or "was drained". */
export async function evacuateNode(
  deps: EvacuateDeps,
  node: { id: string; name: string },
  cause: string,
  now: number,
  opts: { failUnplaceable: boolean } = { failUnplaceable: true },
): Promise<EvacuationResult> {
  const displaced = await deps.db.reservation.findMany({
    where: { nodeId: node.id, phase: { notIn: [...TERMINAL_PHASES] }, deletedAt: null, endAt: { gt: new Date(now) } },
    select: { id: true, name: true, startAt: true, endAt: true, milliCores: true, memoryMiB: true, status: true },
  });
  const result: EvacuationResult = { rescheduled: [], failed: [], remaining: [] };
  if (displaced.length === 0) return result;
  const { capacity } = deps.guard;
  const placer: Placer = {
    // The node being emptied takes nothing: it is NotReady or cordoned, and the checks say so.
    decide: (request, id) => capacity.decide(request, deps.strategy, { excludeReservationId: id }),
    record: (id, nodeId, request) => capacity.move(id, nodeId, request.start),
  };
  const plan = planEvacuation({
    displaced: displaced.map((r) => ({
      id: r.id,
      name: r.name,
      startAt: r.startAt.getTime(),
      endAt: r.endAt.getTime(),
      milliCores: r.milliCores,
      memoryMiB: r.memoryMiB,
    })),
    strategy: deps.strategy,
    now,
    placer,
  });
  const statusOf = new Map(displaced.map((r) => [r.id, (r.status ?? {}) as StoredReservationStatus]));
  for (const action of plan) {
    if (action.type === 'fail' && !opts.failUnplaceable) {
      result.remaining.push({ reservation: action.name, reason: action.reason });
      continue;
    }
    await applyAction(deps, node, cause, now, action, statusOf.get(action.reservationId) ?? {}, result);
  }
  deps.guard.commitMoves();
  return result;
}

async function applyAction(
  deps: EvacuateDeps,
  from: { name: string },
  cause: string,
  now: number,
  action: EvacuationAction,
  stored: StoredReservationStatus,
  result: EvacuationResult,
): Promise<void> {
  const { db } = deps;
  const log = deps.log.child({ component: 'evacuation', reservation: action.name, from: from.name });
  if (action.type === 'reschedule') {
    await deps.guard.ports.move(action.reservationId, action.toNodeId);
    const message = `node ${from.name} ${cause}: rescheduled to node ${action.toNodeName}; local data on ${from.name} did not move`;
    let conditions = setCondition(stored.conditions ?? [], { type: 'Scheduled', status: 'True', reason: 'Rescheduled', message }, now);
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'Rescheduled', message: `waiting for node ${action.toNodeName} to start the container` },
      now,
    );
    await db.reservation.update({ where: { id: action.reservationId }, data: { nodeId: action.toNodeId, status: { ...stored, conditions } } });
    deps.events.record({ kind: 'Reservation', objectId: action.reservationId, objectName: action.name, type: 'Warning', reason: 'Rescheduled', message });
    log.warn({ to: action.toNodeName }, 'reservation rescheduled');
    result.rescheduled.push({ reservation: action.name, node: action.toNodeName, id: action.reservationId, toNodeId: action.toNodeId });
    return;
  }
  await deps.guard.ports.release(action.reservationId);
  deps.guard.release(action.reservationId);
  const message = `node ${from.name} ${cause} and ${action.reason}`;
  const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: 'NodeLost', message }, now);
  await db.reservation.update({
    where: { id: action.reservationId },
    data: { phase: 'Failed', activeName: null, endedAt: new Date(now), status: { ...stored, conditions } },
  });
  deps.events.record({ kind: 'Reservation', objectId: action.reservationId, objectName: action.name, type: 'Warning', reason: 'NodeLost', message });
  log.warn({ reason: action.reason }, 'reservation failed: node lost');
  result.failed.push({ reservation: action.name, reason: message, id: action.reservationId });
}
