// The scheduler: a chain of feasibility checks, then a ranking step. Pure: no I/O, no clock.
import { fitsCapacityAtAll, fitsOverWindow, isReady, isSchedulable, type FeasibilityCheck } from './feasibility.ts';
import { score } from './ranking.ts';
import type { Decision, NodeCandidate, PlacementRequest, Rejection, Strategy } from './types.ts';

// Cheapest checks first; the window sweep runs only for nodes that could take the work at all.
const CHECKS: FeasibilityCheck[] = [isReady, isSchedulable, fitsCapacityAtAll, fitsOverWindow];

export function schedule(nodes: NodeCandidate[], request: PlacementRequest, strategy: Strategy = 'min-ram-ratio'): Decision {
  const rejections: Rejection[] = [];
  let best: { node: NodeCandidate; score: number } | undefined;
  for (const node of nodes) {
    const reason = firstFailure(node, request);
    if (reason) {
      rejections.push({ node: node.name, reason });
      continue;
    }
    const s = score(strategy, node, request);
    // Ties go to the node name so placement is deterministic.
    if (!best || s < best.score || (s === best.score && node.name < best.node.name)) best = { node, score: s };
  }
  if (!best) return { ok: false, rejections };
  return { ok: true, node: best.node, score: best.score, rejections };
}

function firstFailure(node: NodeCandidate, request: PlacementRequest): string | undefined {
  for (const check of CHECKS) {
    const reason = check(node, request);
    if (reason) return reason;
  }
  return undefined;
}
