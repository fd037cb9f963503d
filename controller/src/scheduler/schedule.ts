// The scheduler: a chain of feasibility checks, then a ranking step. Pure: no I/O, no clock.
import { fitsCapacityAtAll, fitsStats, isReady, isSchedulable, type FeasibilityCheck } from './feasibility.ts';
import { scoreStats } from './ranking.ts';
import { windowStats } from './window-stats.ts';
import type { Decision, NodeCandidate, PlacementRequest, Rejection, Strategy } from './types.ts';

// Cheapest checks first; the window pass runs only for nodes that could take the work at all,
// and once per node: its stats serve both the window check and the ranking.
const CHECKS: FeasibilityCheck[] = [isReady, isSchedulable, fitsCapacityAtAll];

export function schedule(nodes: NodeCandidate[], request: PlacementRequest, strategy: Strategy = 'min-ram-ratio'): Decision {
  const rejections: Rejection[] = [];
  let best: { node: NodeCandidate; score: number } | undefined;
  for (const node of nodes) {
    let reason = firstFailure(node, request);
    const stats = reason ? undefined : windowStats(node, request);
    if (stats) reason = fitsStats(node, request, stats);
    if (reason || !stats) {
      rejections.push({ node: node.name, reason: reason! });
      continue;
    }
    const s = scoreStats(strategy, node, request, stats);
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
