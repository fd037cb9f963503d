// Admission: places a reservation's whole window on a node or refuses it. Callers hold the
// admission mutex, so the read of committed capacity and the write that commits more cannot
// interleave with another admission in this controller.
import type { PrismaClient as Db } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { schedule, type NodeCandidate, type PlacementRequest, type Strategy } from '../scheduler/index.ts';
import { isNodeReady, TERMINAL_PHASES } from '../reconcile/index.ts';

export interface AdmissionRequest extends PlacementRequest {
  /** A reservation being re-admitted does not compete with itself. */
  excludeReservationId?: string;
  /** Restrict to one node (an update after start must stay where it runs). */
  onlyNodeId?: string;
}

export async function loadCandidates(db: Db, req: AdmissionRequest): Promise<NodeCandidate[]> {
  const [nodes, placed] = await Promise.all([
    db.node.findMany({ where: req.onlyNodeId ? { id: req.onlyNodeId } : {}, orderBy: { name: 'asc' } }),
    db.reservation.findMany({
      where: {
        phase: { notIn: [...TERMINAL_PHASES] },
        nodeId: { not: null },
        startAt: { lt: new Date(req.end) },
        endAt: { gt: new Date(req.start) },
        ...(req.excludeReservationId ? { id: { not: req.excludeReservationId } } : {}),
      },
      select: { nodeId: true, startAt: true, endAt: true, cores: true, memoryMiB: true },
    }),
  ]);
  return nodes.map((n) => ({
    id: n.id,
    name: n.name,
    cores: n.cores,
    memoryMiB: n.memoryMiB,
    ready: isNodeReady(n.status),
    cordoned: n.cordoned,
    placements: placed
      .filter((p) => p.nodeId === n.id)
      .map((p) => ({ start: p.startAt.getTime(), end: p.endAt.getTime(), cores: p.cores, memoryMiB: p.memoryMiB })),
  }));
}

export async function admit(db: Db, req: AdmissionRequest, strategy: Strategy): Promise<NodeCandidate> {
  const nodes = await loadCandidates(db, req);
  const decision = schedule(nodes, req, strategy);
  if (decision.ok) return decision.node;
  const window = `${new Date(req.start).toISOString()} to ${new Date(req.end).toISOString()}`;
  const why = nodes.length === 0 ? 'no nodes are registered' : decision.rejections.map((r) => `${r.node}: ${r.reason}`).join('; ');
  throw new BerthError('NoResources', `no resources available for ${req.cores} cores and ${req.memoryMiB}Mi from ${window} (${why})`, undefined, {
    window: { start: new Date(req.start).toISOString(), end: new Date(req.end).toISOString() },
    rejections: decision.rejections,
  });
}
