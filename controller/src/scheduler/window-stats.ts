// What a node has committed over a window, computed in one pass over the overlapping placements:
// the peak (for feasibility) and the RAM-time and count (for ranking).
import type { NodeCandidate, Placement, Window } from './types.ts';

export interface WindowStats {
  peakMilliCores: number;
  peakMemoryMiB: number;
  /** Sum of memoryMiB x overlapping milliseconds. */
  ramTime: number;
  count: number;
}

export function forEachOverlapping(node: NodeCandidate, w: Window, fn: (p: Placement) => void): void {
  if (node.index) {
    node.index.forEachOverlapping(w, fn);
    return;
  }
  for (const p of node.placements) if (p.start < w.end && w.start < p.end) fn(p);
}

// Reused between calls: the scheduler calls this once per node per placement.
const scratch: Placement[] = [];

export function windowStats(node: NodeCandidate, w: Window): WindowStats {
  scratch.length = 0;
  if (node.index) node.index.collect(w, scratch);
  else for (const p of node.placements) if (p.start < w.end && w.start < p.end) scratch.push(p);
  let ramTime = 0;
  for (let i = 0; i < scratch.length; i++) {
    const p = scratch[i];
    ramTime += p.memoryMiB * (Math.min(p.end, w.end) - Math.max(p.start, w.start));
  }
  const peak = scratch.length <= 8 ? smallPeak(scratch, w) : sweepPeak(scratch, w);
  return { peakMilliCores: peak.milliCores, peakMemoryMiB: peak.memoryMiB, ramTime, count: scratch.length };
}

/**
 * Peak for a few placements without allocating: usage only rises at a start, so the peak is at
 * the window start or at some placement's start inside it.
 */
function smallPeak(hits: Placement[], w: Window): { milliCores: number; memoryMiB: number } {
  let peakMilliCores = 0;
  let peakMemory = 0;
  for (let i = -1; i < hits.length; i++) {
    const t = i < 0 ? w.start : Math.max(hits[i].start, w.start);
    let cores = 0;
    let memory = 0;
    for (let j = 0; j < hits.length; j++) {
      const p = hits[j];
      if (p.start <= t && t < p.end) {
        cores += p.milliCores;
        memory += p.memoryMiB;
      }
    }
    if (cores > peakMilliCores) peakMilliCores = cores;
    if (memory > peakMemory) peakMemory = memory;
  }
  return { milliCores: peakMilliCores, memoryMiB: peakMemory };
}

/** Peak concurrent use of placements already known to overlap the window. */
export function sweepPeak(hits: Placement[], w: Window): { milliCores: number; memoryMiB: number } {
  if (hits.length === 0) return { milliCores: 0, memoryMiB: 0 };
  if (hits.length === 1) return { milliCores: hits[0].milliCores, memoryMiB: hits[0].memoryMiB };
  const edges: Array<[number, number, number]> = [];
  for (const p of hits) {
    edges.push([Math.max(p.start, w.start), p.milliCores, p.memoryMiB]);
    edges.push([Math.min(p.end, w.end), -p.milliCores, -p.memoryMiB]);
  }
  // Ends sort before starts at the same instant: [a, t) and [t, b) never overlap.
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cores = 0;
  let memory = 0;
  let peakMilliCores = 0;
  let peakMemory = 0;
  for (const [, dc, dm] of edges) {
    cores += dc;
    memory += dm;
    if (cores > peakMilliCores) peakMilliCores = cores;
    if (memory > peakMemory) peakMemory = memory;
  }
  return { milliCores: peakMilliCores, memoryMiB: peakMemory };
}

/**
 * The peak of the placements in each of several windows, in order and not overlapping (the
 * hours of a week), in one sweep: what `sweepPeak` gives per window, for the cost of one sort.
 */
export function peaksEach(hits: readonly Placement[], windows: readonly Window[]): { milliCores: number[]; memoryMiB: number[] } {
  const edges: Array<[number, number, number]> = [];
  for (const p of hits) {
    edges.push([p.start, p.milliCores, p.memoryMiB]);
    edges.push([p.end, -p.milliCores, -p.memoryMiB]);
  }
  // Ends sort before starts at the same instant: [a, t) and [t, b) never overlap.
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const milliCores = new Array<number>(windows.length).fill(0);
  const memoryMiB = new Array<number>(windows.length).fill(0);
  let e = 0;
  let cores = 0;
  let memory = 0;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i];
    for (; e < edges.length && edges[e][0] <= w.start; e++) {
      cores += edges[e][1];
      memory += edges[e][2];
    }
    let peakCores = cores;
    let peakMemory = memory;
    for (; e < edges.length && edges[e][0] < w.end; e++) {
      cores += edges[e][1];
      memory += edges[e][2];
      if (cores > peakCores) peakCores = cores;
      if (memory > peakMemory) peakMemory = memory;
    }
    milliCores[i] = peakCores;
    memoryMiB[i] = peakMemory;
  }
  return { milliCores, memoryMiB };
}
