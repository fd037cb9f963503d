// Pure: where the reservations of a lost (NotReady) or drained node go. Each one is placed again
// over its whole remaining window by the same scheduler admission uses, earliest start first, and
// each decision is seen by the next (the chosen node's placements grow). What fits nowhere fails.
import { schedule, type Decision, type NodeCandidate, type PlacementRequest, type Strategy } from '../scheduler/index.ts';

export interface DisplacedReservation {
  id: string;
  name: string;
  startAt: number;
  endAt: number;
  milliCores: number;
  memoryMiB: number;
}

export type EvacuationAction =
  | { type: 'reschedule'; reservationId: string; name: string; toNodeId: string; toNodeName: string }
  | { type: 'fail'; reservationId: string; name: string; reason: string };

/** Where one reservation can go; `record` makes the next decision see it. */
export interface Placer {
  decide(request: PlacementRequest, reservationId: string): Decision;
  record(reservationId: string, nodeId: string, request: PlacementRequest): void;
}

export interface EvacuationInput {
  /** Non-terminal, not deleted reservations still assigned to the node being evacuated. */
  displaced: DisplacedReservation[];
  /** Every node with its placements, the displaced reservations excluded (when no placer). */
  candidates?: NodeCandidate[];
  strategy: Strategy;
  now: number;
  /** Decides placements (the controller passes its capacity index); default: the candidates. */
  placer?: Placer;
}

/** A placer over plain candidates; it copies them, so the plan never changes its input. */
export function candidatesPlacer(candidates: NodeCandidate[], strategy: Strategy): Placer {
  const nodes = candidates.map((n) => ({ ...n, placements: [...n.placements], index: undefined }));
  return {
    decide: (request) => schedule(nodes, request, strategy),
    record: (_id, nodeId, request) => nodes.find((n) => n.id === nodeId)?.placements.push(request),
  };
}

export function planEvacuation(input: EvacuationInput): EvacuationAction[] {
  const placer = input.placer ?? candidatesPlacer(input.candidates ?? [], input.strategy);
  const ordered = [...input.displaced].sort((a, b) => a.startAt - b.startAt || a.name.localeCompare(b.name));
  const actions: EvacuationAction[] = [];
  for (const r of ordered) {
    // A running reservation only needs the rest of its window on the new node.
    const request = { start: Math.max(r.startAt, Math.min(input.now, r.endAt - 1)), end: r.endAt, milliCores: r.milliCores, memoryMiB: r.memoryMiB };
    const decision = placer.decide(request, r.id);
    if (!decision.ok) {
      const why = decision.rejections.length ? decision.rejections.map((x) => `${x.node}: ${x.reason}`).join('; ') : 'no other nodes';
      actions.push({ type: 'fail', reservationId: r.id, name: r.name, reason: `no other node can take it (${why})` });
      continue;
    }
    placer.record(r.id, decision.node.id, request);
    actions.push({ type: 'reschedule', reservationId: r.id, name: r.name, toNodeId: decision.node.id, toNodeName: decision.node.name });
  }
  return actions;
}

/**
 * Whether a NotReady node's reservations should move now. A controller that just started has
 * had no chance to hear heartbeats, so it waits one grace period before moving anything.
 */
export function shouldEvacuate(ready: boolean, controllerStartedAt: number, now: number, graceMs: number): boolean {
  return !ready && now - controllerStartedAt >= graceMs;
}
