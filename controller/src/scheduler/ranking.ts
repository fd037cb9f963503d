// Ranking of feasible nodes; lower score wins.
import { overlaps } from './feasibility.ts';
import type { NodeCandidate, PlacementRequest, Strategy } from './types.ts';

/** Committed RAM-time over the window divided by the node's RAM-time: 0 for an idle node. */
export function ramRatio(node: NodeCandidate, window: PlacementRequest): number {
  const length = window.end - window.start;
  let committed = 0;
  for (const p of node.placements) {
    if (!overlaps(p, window)) continue;
    committed += p.memoryMiB * (Math.min(p.end, window.end) - Math.max(p.start, window.start));
  }
  return committed / (node.memoryMiB * length);
}

export function score(strategy: Strategy, node: NodeCandidate, request: PlacementRequest): number {
  const ratio = ramRatio(node, request);
  switch (strategy) {
    case 'min-ram-ratio':
      return ratio;
    case 'binpack':
      return -ratio; // fullest node first
    case 'spread': {
      // fewest overlapping reservations first; RAM ratio breaks ties
      const count = node.placements.filter((p) => overlaps(p, request)).length;
      return count + ratio / 2;
    }
  }
}
