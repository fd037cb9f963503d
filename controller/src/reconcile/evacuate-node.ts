// The effect of planEvacuation: moves a lost or drained node's reservations (ports included, the
// public port kept) or fails them with the reason. Callers are inside AdmissionGuard.run, so a
// move and an admission never commit the same capacity twice; placements are decided on the
// in-memory capacity index and only the emptied nodes' own reservations are read from the store.
import type { Logger } from 'pino';
import { updateRows, type PrismaClient as Db } from '../store/index.ts';
import type { Strategy } from '../scheduler/index.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { EventRecorder } from '../events/index.ts';
import type { StoredReservationStatus } from '../resources/index.ts';
import { setCondition } from '../domain/conditions.ts';
import { planEvacuation, type EvacuationAction, type Placer } from './plan-node-loss.ts';
import { isStarted, TERMINAL_PHASES } from '../domain/phases.ts';

/** What a pass reads of each displaced reservation beyond its placement. */
interface DisplacedRow {
  phase: string;
  status: unknown;
}

const statusOf = (rows: Map<string, DisplacedRow>, id: string) => (rows.get(id)?.status ?? {}) as StoredReservationStatus;

export interface EvacuateDeps {
  db: Db;
  log: Logger;
  strategy: Strategy;
  guard: AdmissionGuard;
  events: EventRecorder;
}

export interface EvacuationResult {
  /** `desired`: the reservation belongs in its new node's desired set now (started or prepared). */
  rescheduled: Array<{ reservation: string; node: string; id: string; toNodeId: string; fromNodeId: string; desired: boolean }>;
  failed: Array<{ reservation: string; reason: string; id: string; fromNodeId: string }>;
  /** Left on the node because nothing else fits (drain only; a lost node fails them). */
  remaining: Array<{ reservation: string; reason: string }>;
}

/** `cause` completes "node X ..." in events, e.g. "is NotReady" or "was drained". */
export function evacuateNode(
  deps: EvacuateDeps,
  node: { id: string; name: string },
  cause: string,
  now: number,
  opts: { failUnplaceable: boolean } = { failUnplaceable: true },
): Promise<EvacuationResult> {
  return evacuateNodes(deps, [node], cause, now, opts);
}

/**
 * Several nodes' reservations in one pass: nodes lost together (a rack, a switch) come due
 * together, and the statements of a pass cost the same for one node as for fifty.
 */
export async function evacuateNodes(
  deps: EvacuateDeps,
  nodes: ReadonlyArray<{ id: string; name: string }>,
  cause: string,
  now: number,
  opts: { failUnplaceable: boolean } = { failUnplaceable: true },
): Promise<EvacuationResult> {
  const result: EvacuationResult = { rescheduled: [], failed: [], remaining: [] };
  if (nodes.length === 0) return result;
  const displaced = await deps.db.reservation.findMany({
    where: { nodeId: { in: nodes.map((n) => n.id) }, phase: { notIn: [...TERMINAL_PHASES] }, deletedAt: null, endAt: { gt: new Date(now) } },
    select: { id: true, name: true, nodeId: true, phase: true, startAt: true, endAt: true, milliCores: true, memoryMiB: true, status: true },
  });
  if (displaced.length === 0) return result;
  const { capacity } = deps.guard;
  const placer: Placer = {
    // The nodes being emptied take nothing: they are NotReady or cordoned, and the checks say so.
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
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const from = new Map(displaced.map((r) => [r.id, nodeById.get(r.nodeId!)!]));
  const rowOf: Map<string, DisplacedRow> = new Map(displaced.map((r) => [r.id, r]));
  const moves = plan.filter((a): a is Extract<EvacuationAction, { type: 'reschedule' }> => a.type === 'reschedule');
  await writeMoves(deps, from, cause, now, moves, rowOf, result);
  for (const action of plan) {
    if (action.type !== 'fail') continue;
    if (!opts.failUnplaceable) {
      result.remaining.push({ reservation: action.name, reason: action.reason });
      continue;
    }
    await failOne(deps, from.get(action.reservationId)!, cause, now, action, statusOf(rowOf, action.reservationId), result);
  }
  deps.guard.commitMoves();
  return result;
}

/**
 * A pass's moves in four statements however many there are (ports read and written, rows, their
 * update time): a statement costs the controller far more than a row, and every lost node's
 * reservations wait for this section.
 */
async function writeMoves(
  deps: EvacuateDeps,
  fromOf: Map<string, { id: string; name: string }>,
  cause: string,
  now: number,
  moves: Array<Extract<EvacuationAction, { type: 'reschedule' }>>,
  rowOf: Map<string, DisplacedRow>,
  result: EvacuationResult,
): Promise<void> {
  if (moves.length === 0) return;
  const withPorts = await deps.guard.ports.moveMany(moves.map((a) => ({ reservationId: a.reservationId, toNodeId: a.toNodeId })));
  const messages = moves.map((a) => {
    const from = fromOf.get(a.reservationId)!.name;
    return `node ${from} ${cause}: rescheduled to node ${a.toNodeName}; local data on ${from} did not move`;
  });
  const rows = moves.map((a, i) => {
    const stored = statusOf(rowOf, a.reservationId);
    let conditions = setCondition(stored.conditions ?? [], { type: 'Scheduled', status: 'True', reason: 'Rescheduled', message: messages[i] }, now);
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'Rescheduled', message: `waiting for node ${a.toNodeName} to start the container` },
      now,
    );
    return { id: a.reservationId, values: [a.toNodeId, { ...stored, conditions }] };
  });
  await updateRows(deps.db, deps.guard.provider, {
    table: 'Reservation',
    columns: [
      { name: 'nodeId', type: 'text' },
      { name: 'status', type: 'json' },
    ],
    rows,
  });
  await deps.db.reservation.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { updatedAt: new Date(now) } });
  const log = deps.log.child({ component: 'evacuation' });
  moves.forEach((a, i) => {
    const from = fromOf.get(a.reservationId)!;
    deps.events.record({ kind: 'Reservation', objectId: a.reservationId, objectName: a.name, type: 'Warning', reason: 'Rescheduled', message: messages[i] });
    log.warn({ reservation: a.name, from: from.name, to: a.toNodeName }, 'reservation rescheduled');
    const desired = withPorts.has(a.reservationId) || isStarted(rowOf.get(a.reservationId)?.phase ?? '');
    result.rescheduled.push({ reservation: a.name, node: a.toNodeName, id: a.reservationId, toNodeId: a.toNodeId, fromNodeId: from.id, desired });
  });
}

async function failOne(
  deps: EvacuateDeps,
  from: { id: string; name: string },
  cause: string,
  now: number,
  action: Extract<EvacuationAction, { type: 'fail' }>,
  stored: StoredReservationStatus,
  result: EvacuationResult,
): Promise<void> {
  const { db } = deps;
  const log = deps.log.child({ component: 'evacuation', reservation: action.name, from: from.name });
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
  result.failed.push({ reservation: action.name, reason: message, id: action.reservationId, fromNodeId: from.id });
}
