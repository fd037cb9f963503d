// The scheduler: a chain of feasibility checks, then a ranking step. Pure: no I/O, no clock.
import { fitsCapacityAtAll, fitsStats, isReady, isSchedulable, type StaticCheck } from './feasibility.ts';
import { scoreStats } from './ranking.ts';
import { windowStats, type WindowStats } from './window-stats.ts';
import type { Decision, NodeCandidate, PlacementRequest, Rejection, Strategy } from './types.ts';

// Cheapest checks first; the window pass runs only for nodes that could take the work at all,
// and once per node: its stats serve both the window check and the ranking.
const CHECKS: StaticCheck[] = [isReady, isSchedulable, fitsCapacityAtAll];

export function schedule(nodes: NodeCandidate[], request: PlacementRequest, strategy: Strategy = 'min-ram-ratio', scan: Scan = {}): Decision {
  return decide(nodes, request, strategy, (node) => windowStats(node, request), scan);
}

/** Where a scan starts and how many feasible nodes end it (see feasibleNodesToFind). */
export interface Scan {
  /** Position of the first node examined; the scan wraps around. */
  from?: number;
  /** Stop once this many nodes passed every check (default: examine all). */
  enough?: number;
}

/** A large cluster needs no more than this many feasible nodes to rank (kube-scheduler's floor). */
export const MIN_FEASIBLE_NODES = 100;

/**
 * How many feasible nodes are enough to rank, as kube-scheduler's adaptive
 * percentageOfNodesToScore: every node of a cluster of up to 100, then 50 % less one point per 125
 * nodes (42 % of 1,000), never under 5 % nor under 100 nodes. Each admission then costs a bounded
 * share of the cluster instead of all of it; a rotating start spreads the share.
 */
export function feasibleNodesToFind(total: number): number {
  if (total <= MIN_FEASIBLE_NODES) return total;
  const percent = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(MIN_FEASIBLE_NODES, Math.floor((total * percent) / 100));
}

/**
 * The one place checks and ranking are composed. `statsFor` gives a node's committed load over
 * the request's window: an exact sweep here, or a cluster-wide index at scale (same answers).
 * `examined` tells the caller where the next scan should start.
 */
export function decide(
  nodes: NodeCandidate[],
  request: PlacementRequest,
  strategy: Strategy,
  statsFor: (node: NodeCandidate, position: number) => WindowStats,
  scan: Scan = {},
): Decision {
  const rejections: Rejection[] = [];
  const total = nodes.length;
  const from = total > 0 ? (scan.from ?? 0) % total : 0;
  const enough = scan.enough ?? total;
  let best: { node: NodeCandidate; score: number } | undefined;
  let feasible = 0;
  let examined = 0;
  for (; examined < total && feasible < enough; examined++) {
    const i = (from + examined) % total;
    const node = nodes[i];
    let reason = firstFailure(node, request);
    const stats = reason ? undefined : statsFor(node, i);
    if (stats) reason = fitsStats(node, request, stats);
    if (reason || !stats) {
      rejections.push({ node: node.name, reason: reason! });
      continue;
    }
    feasible++;
    const s = scoreStats(strategy, node, request, stats);
    // Ties go to the node name so placement is deterministic.
    if (!best || s < best.score || (s === best.score && node.name < best.node.name)) best = { node, score: s };
  }
  if (!best) return { ok: false, rejections, examined };
  return { ok: true, node: best.node, score: best.score, rejections, examined };
}

/** Why the node cannot take the request whatever the window (NotReady, cordoned, too small), or undefined. */
export function firstFailure(node: NodeCandidate, request: Pick<PlacementRequest, 'milliCores' | 'memoryMiB'>): string | undefined {
  for (const check of CHECKS) {
    const reason = check(node, request);
    if (reason) return reason;
  }
  return undefined;
}
