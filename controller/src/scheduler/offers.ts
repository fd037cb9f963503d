// Offers from feasible starts: the request fits at a start if some node takes it there and every
// cluster-wide limit (public ports, the customer's quota) allows it. Each offer is a stretch of
// starts that all fit, from its earliest (a moment capacity frees up, or the range's start) to its
// latest; offers come earliest first. Pure.
import { contains, intersect, union, type StartInterval } from './feasible-starts.ts';

export interface NodeStarts<N> {
  node: N;
  starts: StartInterval[];
}

export interface Offer<N> {
  /** The earliest start of this stretch. */
  start: number;
  /** The latest start at which the request still fits, every instant between included. */
  latestStart: number;
  /** The nodes that take the request at `start` (admins see them; customers never do). */
  nodes: N[];
}

export function offersFrom<N>(nodes: ReadonlyArray<NodeStarts<N>>, limits: ReadonlyArray<readonly StartInterval[]>, max: number): Offer<N>[] {
  let fits = union(nodes.map((n) => n.starts));
  for (const l of limits) fits = intersect(fits, l);
  return fits.slice(0, max).map((s) => ({
    start: s.from,
    latestStart: s.to,
    nodes: nodes.filter((n) => contains(n.starts, s.from)).map((n) => n.node),
  }));
}

export interface Size {
  milliCores: number;
  memoryMiB: number;
}

/**
 * The largest size, no larger than the request in either dimension, that one of the nodes has
 * free (its free capacity given as a size): the one that keeps the biggest share of the request
 * in its tighter dimension, then of the other. Undefined when none has any of both.
 */
export function largestSize(free: ReadonlyArray<Size>, request: Size, capMilliCores = Number.POSITIVE_INFINITY): Size | undefined {
  let best: { size: Size; low: number; high: number } | undefined;
  for (const f of free) {
    const size = { milliCores: Math.min(request.milliCores, f.milliCores, capMilliCores), memoryMiB: Math.min(request.memoryMiB, f.memoryMiB) };
    if (size.milliCores < 1 || size.memoryMiB < 1) continue;
    const a = size.milliCores / request.milliCores;
    const b = size.memoryMiB / request.memoryMiB;
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    if (!best || low > best.low || (low === best.low && high > best.high)) best = { size, low, high };
  }
  return best?.size;
}
