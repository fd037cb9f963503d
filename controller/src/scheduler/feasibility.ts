// Small feasibility checks. Each returns undefined when the node passes, or why it does not.
import type { NodeCandidate, Placement, PlacementRequest, Window } from './types.ts';

export type FeasibilityCheck = (node: NodeCandidate, request: PlacementRequest) => string | undefined;

export const isReady: FeasibilityCheck = (node) => (node.ready ? undefined : 'node is NotReady');

export const isSchedulable: FeasibilityCheck = (node) => (node.cordoned ? 'node is cordoned' : undefined);

export const fitsCapacityAtAll: FeasibilityCheck = (node, request) => {
  if (request.cores > node.cores) return `needs ${request.cores} cores, node has ${node.cores}`;
  if (request.memoryMiB > node.memoryMiB) return `needs ${request.memoryMiB}Mi memory, node has ${node.memoryMiB}Mi`;
  return undefined;
};

export function overlaps(a: Window, b: Window): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Peak cores and memory committed at any instant of the window (sweep over interval edges). */
export function peakUsage(placements: Placement[], window: Window): { cores: number; memoryMiB: number } {
  const edges: Array<[number, number, number]> = [];
  for (const p of placements) {
    if (!overlaps(p, window)) continue;
    edges.push([Math.max(p.start, window.start), p.cores, p.memoryMiB]);
    edges.push([Math.min(p.end, window.end), -p.cores, -p.memoryMiB]);
  }
  // Ends sort before starts at the same instant: [a, t) and [t, b) never overlap.
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cores = 0;
  let memory = 0;
  let peakCores = 0;
  let peakMemory = 0;
  for (const [, dc, dm] of edges) {
    cores += dc;
    memory += dm;
    peakCores = Math.max(peakCores, cores);
    peakMemory = Math.max(peakMemory, memory);
  }
  return { cores: peakCores, memoryMiB: peakMemory };
}

export const fitsOverWindow: FeasibilityCheck = (node, request) => {
  const peak = peakUsage(node.placements, request);
  if (peak.memoryMiB + request.memoryMiB > node.memoryMiB) {
    return `memory: ${peak.memoryMiB}Mi of ${node.memoryMiB}Mi already committed in the window, needs ${request.memoryMiB}Mi more`;
  }
  if (peak.cores + request.cores > node.cores) {
    return `cores: ${peak.cores} of ${node.cores} already committed in the window, needs ${request.cores} more`;
  }
  return undefined;
};
