// The scheduler: a chain of feasibility checks, then a ranking step. Pure: no I/O, no clock.
import { fitsCapacityAtAll, fitsStats, isReady, isSchedulable, type StaticCheck } from './feasibility.ts';
import { scoreStats } from './ranking.ts';
import { windowStats, type WindowStats } from './window-stats.ts';
import type { Decision, NodeCandidate, PlacementRequest, Rejection, Strategy } from './types.ts';

// Cheapest checks first; the window pass runs only for nodes that could take the work at all,
// and once per node: its stats serve both the window check and the ranking.
const CHECKS: StaticCheck[] = [isReady, isSchedulable, fitsCapacityAtAll];

export function schedule(nodes: NodeCandidate[], request: PlacementRequest, strategy: Strategy = 'min-ram-ratio'): Decision {
  return decide(nodes, request, strategy, (node) => windowStats(node, request));
}

/**
 * The one place checks and ranking are composed. `statsFor` gives a node's committed load over
 * the request's window: an exact sweep here, or a cluster-wide index at scale (same answers).
 */
export function decide(
  nodes: NodeCandidate[],
  request: PlacementRequest,
  strategy: Strategy,
  statsFor: (node: NodeCandidate, position: number) => WindowStats,
): Decision {
  const rejections: Rejection[] = [];
  let best: { node: NodeCandidate; score: number } | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    let reason = firstFailure(node, request);
    const stats = reason ? undefined : statsFor(node, i);
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

/** Why the node cannot take the request whatever the window (NotReady, cordoned, too small), or undefined. */
export function firstFailure(node: NodeCandidate, request: Pick<PlacementRequest, 'milliCores' | 'memoryMiB'>): string | undefined {
  for (const check of CHECKS) {
    const reason = check(node, request);
    if (reason) return reason;
  }
  return undefined;
}
