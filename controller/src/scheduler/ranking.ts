// Ranking of feasible nodes; lower score wins.
import type { NodeCandidate, PlacementRequest, Strategy } from './types.ts';
import { windowStats, type WindowStats } from './window-stats.ts';

/** Committed RAM-time over the window divided by the node's RAM-time: 0 for an idle node. */
export function ramRatio(node: NodeCandidate, window: PlacementRequest): number {
  return windowStats(node, window).ramTime / (node.memoryMiB * (window.end - window.start));
}

export function score(strategy: Strategy, node: NodeCandidate, request: PlacementRequest): number {
  return scoreStats(strategy, node, request, windowStats(node, request));
}

export function scoreStats(strategy: Strategy, node: NodeCandidate, request: PlacementRequest, stats: WindowStats): number {
  const ratio = stats.ramTime / (node.memoryMiB * (request.end - request.start));
  switch (strategy) {
    case 'min-ram-ratio':
      return ratio;
    case 'binpack':
      return -ratio; // fullest node first
    case 'spread':
      return stats.count + ratio / 2; // fewest overlapping reservations first; RAM ratio breaks ties
  }
}
