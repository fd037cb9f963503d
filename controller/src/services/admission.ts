// Admission: places a reservation's whole window on a node or refuses it. Callers are inside
// AdmissionGuard.run, so the capacity index read here and the store write that commits more
// cannot interleave with another admission, in this controller or another.
import { BerthError } from '../errors/index.ts';
import { formatCores } from '../manifests/index.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { PlacementRequest, Strategy } from '../scheduler/index.ts';

export interface AdmissionRequest extends PlacementRequest {
  /** Public ports the reservation will hold while it runs (its image's ports). */
  publicPorts: number;
  /** A reservation being re-admitted does not compete with itself. */
  excludeReservationId?: string;
  /** Restrict to one node (an update after start must stay where it runs). */
  onlyNodeId?: string;
}

export function admit(guard: AdmissionGuard, req: AdmissionRequest, strategy: Strategy): { id: string; name: string } {
  const window = `${new Date(req.start).toISOString()} to ${new Date(req.end).toISOString()}`;
  const details = { window: { start: new Date(req.start).toISOString(), end: new Date(req.end).toISOString() } };
  const shortage = guard.capacity.publicPortShortage(req, req.publicPorts, req.excludeReservationId);
  if (shortage) {
    throw new BerthError('NoResources', `no resources available from ${window}: ${shortage}`, undefined, { ...details, rejections: [] });
  }
  const decision = guard.capacity.decide(req, strategy, { excludeReservationId: req.excludeReservationId, onlyNodeId: req.onlyNodeId });
  if (decision.ok) return { id: decision.node.id, name: decision.node.name };
  const why = decision.rejections.length === 0 ? 'no nodes are registered' : decision.rejections.map((r) => `${r.node}: ${r.reason}`).join('; ');
  throw new BerthError('NoResources', `no resources available for ${formatCores(req.milliCores)} and ${req.memoryMiB}Mi from ${window} (${why})`, undefined, {
    ...details,
    rejections: decision.rejections,
  });
}
