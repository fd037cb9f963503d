// The effect of planEvacuation: moves a lost or drained node's reservations (ports included, the
// public port kept) or fails them with the reason. Callers hold the admission mutex so a move
// and an admission never commit the same capacity twice.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import { movePorts, releasePorts, type PortRanges } from '../ports/index.ts';
import { recordEvent } from '../events/index.ts';
import type { StoredReservationStatus } from '../resources/index.ts';
import { setCondition } from './conditions.ts';
import { isNodeReady } from './node-reconciler.ts';
import { planEvacuation, type EvacuationAction } from './plan-node-loss.ts';
import { TERMINAL_PHASES } from './reservation-plan.ts';

export interface EvacuateDeps {
  db: Db;
  log: Logger;
  strategy: Strategy;
  portRanges: PortRanges;
}

export interface EvacuationResult {
  rescheduled: Array<{ reservation: string; node: string }>;
  failed: Array<{ reservation: string; reason: string }>;
  /** Left on the node because nothing else fits (drain only; a lost node fails them). */
  remaining: Array<{ reservation: string; reason: string }>;
}

/** `cause` completes "node X ..." in events, e.g. "is NotReady" or "was drained". */
export async function evacuateNode(deps: EvacuateDeps, node: { id: string; name: string }, cause: string, now: number, opts: { failUnplaceable: boolean } = { failUnplaceable: true }): Promise<EvacuationResult> {
  const { db } = deps;
  const active = await db.reservation.findMany({
    where: { phase: { notIn: [...TERMINAL_PHASES] }, nodeId: { not: null }, deletedAt: null, endAt: { gt: new Date(now) } },
    select: { id: true, name: true, nodeId: true, startAt: true, endAt: true, cores: true, memoryMiB: true, status: true },
  });
  const displaced = active.filter((r) => r.nodeId === node.id);
  const result: EvacuationResult = { rescheduled: [], failed: [], remaining: [] };
  if (displaced.length === 0) return result;
  const nodes = await db.node.findMany({ orderBy: { name: 'asc' } });
  const candidates = nodes.map((n) => ({
    id: n.id, name: n.name, cores: n.cores, memoryMiB: n.memoryMiB, ready: isNodeReady(n.status), cordoned: n.cordoned || n.id === node.id,
    placements: active.filter((r) => r.nodeId === n.id && n.id !== node.id).map((r) => ({ start: r.startAt.getTime(), end: r.endAt.getTime(), cores: r.cores, memoryMiB: r.memoryMiB })),
  }));
  const plan = planEvacuation({
    displaced: displaced.map((r) => ({ id: r.id, name: r.name, startAt: r.startAt.getTime(), endAt: r.endAt.getTime(), cores: r.cores, memoryMiB: r.memoryMiB })),
    candidates, strategy: deps.strategy, now,
  });
  const statusOf = new Map(displaced.map((r) => [r.id, (r.status ?? {}) as StoredReservationStatus]));
  for (const action of plan) {
    if (action.type === 'fail' && !opts.failUnplaceable) {
      result.remaining.push({ reservation: action.name, reason: action.reason });
      continue;
    }
    await applyAction(deps, node, cause, now, action, statusOf.get(action.reservationId) ?? {}, result);
  }
  return result;
}

async function applyAction(deps: EvacuateDeps, from: { name: string }, cause: string, now: number, action: EvacuationAction, stored: StoredReservationStatus, result: EvacuationResult): Promise<void> {
  const { db } = deps;
  const log = deps.log.child({ component: 'evacuation', reservation: action.name, from: from.name });
  if (action.type === 'reschedule') {
    await movePorts(db, action.reservationId, action.toNodeId, deps.portRanges);
    const message = `node ${from.name} ${cause}: rescheduled to node ${action.toNodeName}; local data on ${from.name} did not move`;
    let conditions = setCondition(stored.conditions ?? [], { type: 'Scheduled', status: 'True', reason: 'Rescheduled', message }, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Rescheduled', message: `waiting for node ${action.toNodeName} to start the container` }, now);
    await db.reservation.update({ where: { id: action.reservationId }, data: { nodeId: action.toNodeId, status: { ...stored, conditions } } });
    await recordEvent(db, { kind: 'Reservation', objectId: action.reservationId, objectName: action.name, type: 'Warning', reason: 'Rescheduled', message });
    log.warn({ to: action.toNodeName }, 'reservation rescheduled');
    result.rescheduled.push({ reservation: action.name, node: action.toNodeName });
    return;
  }
  await releasePorts(db, action.reservationId);
  const message = `node ${from.name} ${cause} and ${action.reason}`;
  const conditions = setCondition(stored.conditions ?? [], { type: 'Ready', status: 'False', reason: 'NodeLost', message }, now);
  await db.reservation.update({ where: { id: action.reservationId }, data: { phase: 'Failed', activeName: null, endedAt: new Date(now), status: { ...stored, conditions } } });
  await recordEvent(db, { kind: 'Reservation', objectId: action.reservationId, objectName: action.name, type: 'Warning', reason: 'NodeLost', message });
  log.warn({ reason: action.reason }, 'reservation failed: node lost');
  result.failed.push({ reservation: action.name, reason: message });
}
