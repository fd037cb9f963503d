// Small feasibility checks. Each returns undefined when the node passes, or why it does not.
import { coresOf, formatCores } from '../manifests/quantity.ts';
import type { NodeCandidate, Placement, PlacementRequest, Window } from './types.ts';
import { sweepPeak, windowStats, type WindowStats } from './window-stats.ts';

export type FeasibilityCheck = (node: NodeCandidate, request: PlacementRequest) => string | undefined;
/** A check that does not depend on the window (availability runs these once per node). */
export type StaticCheck = (node: NodeCandidate, request: Pick<PlacementRequest, 'milliCores' | 'memoryMiB'>) => string | undefined;

export const isReady: StaticCheck = (node) => (node.ready ? undefined : 'node is NotReady');

export const isSchedulable: StaticCheck = (node) => (node.cordoned ? 'node is cordoned' : undefined);

export const fitsCapacityAtAll: StaticCheck = (node, request) => {
  if (request.milliCores > node.milliCores) return `needs ${formatCores(request.milliCores)}, node has ${formatCores(node.milliCores)}`;
  if (request.memoryMiB > node.memoryMiB) return `needs ${request.memoryMiB}Mi memory, node has ${node.memoryMiB}Mi`;
  return undefined;
};

export function overlaps(a: Window, b: Window): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Peak cores and memory committed at any instant of the window (sweep over interval edges). */
export function peakUsage(placements: Placement[], window: Window): { milliCores: number; memoryMiB: number } {
  return sweepPeak(
    placements.filter((p) => overlaps(p, window)),
    window,
  );
}

/** The window check on precomputed stats (the scheduler computes them once per node). */
export function fitsStats(node: NodeCandidate, request: PlacementRequest, stats: WindowStats): string | undefined {
  if (stats.peakMemoryMiB + request.memoryMiB > node.memoryMiB) {
    return `memory: ${stats.peakMemoryMiB}Mi of ${node.memoryMiB}Mi already committed in the window, needs ${request.memoryMiB}Mi more`;
  }
  if (stats.peakMilliCores + request.milliCores > node.milliCores) {
    return `cores: ${coresOf(stats.peakMilliCores)} of ${coresOf(node.milliCores)} already committed in the window, needs ${coresOf(request.milliCores)} more`;
  }
  return undefined;
}

export const fitsOverWindow: FeasibilityCheck = (node, request) => fitsStats(node, request, windowStats(node, request));
