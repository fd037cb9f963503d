// When can a window of a given length start? The exact answer for one resource, from the same
// interval semantics as the window check (half-open placements, ends before starts): usage is
// piecewise constant between placement edges, so the instants where a request does not fit form
// a few half-open stretches, and a window [s - lead, s + duration) fits iff it touches none of
// them. Feasible starts are therefore closed intervals whose left ends are either the range's
// start or the end of a stretch (capacity freeing up): exact, with no candidate enumeration.
import type { Placement, Window } from './types.ts';

/** A closed interval of start instants (epoch ms): every s with from <= s <= to. */
export interface StartInterval {
  from: number;
  to: number;
}

export interface Limit {
  /** Capacity per dimension; a placement's milliCores and memoryMiB count against them. */
  milliCores: number;
  memoryMiB: number;
}

/**
 * The stretches of `span` where usage plus the request exceeds the limit, as sorted, disjoint,
 * half-open windows. Only placements overlapping the span matter.
 */
export function overloaded(placements: readonly Placement[], span: Window, limit: Limit, request: Limit): Window[] {
  const edges: Array<[number, number, number]> = [];
  for (const p of placements) {
    if (!(p.start < span.end && span.start < p.end)) continue;
    edges.push([Math.max(p.start, span.start), p.milliCores, p.memoryMiB]);
    edges.push([Math.min(p.end, span.end), -p.milliCores, -p.memoryMiB]);
  }
  edges.sort((x, y) => x[0] - y[0]);
  const out: Window[] = [];
  const over = (c: number, m: number) => c + request.milliCores > limit.milliCores || m + request.memoryMiB > limit.memoryMiB;
  let cores = 0;
  let memory = 0;
  let t = span.start;
  let i = 0;
  // Each step: the usage on [t, next edge) is constant once every edge at t is applied.
  while (t < span.end) {
    while (i < edges.length && edges[i][0] === t) {
      cores += edges[i][1];
      memory += edges[i][2];
      i++;
    }
    const next = i < edges.length ? edges[i][0] : span.end;
    if (over(cores, memory)) {
      const last = out[out.length - 1];
      if (last && last.end === t) last.end = next;
      else out.push({ start: t, end: next });
    }
    t = next;
  }
  return out;
}

/**
 * Starts s in [lo, hi] whose window [s - lead, s + duration) touches no overloaded stretch. A
 * stretch [a, b) rules out exactly the open interval (a - duration, b + lead).
 */
export function startsAvoiding(busy: readonly Window[], lo: number, hi: number, duration: number, lead = 0): StartInterval[] {
  const out: StartInterval[] = [];
  let from = lo;
  for (const b of busy) {
    const blockedFrom = b.start - duration;
    const blockedTo = b.end + lead;
    if (blockedTo <= from) continue;
    if (blockedFrom >= hi) break;
    if (blockedFrom >= from) out.push({ from, to: blockedFrom });
    from = Math.max(from, blockedTo);
    if (from > hi) return out;
  }
  if (from <= hi) out.push({ from, to: hi });
  return out;
}

/** The span of time that the windows of every start in [lo, hi] can touch. */
export function spanOf(lo: number, hi: number, duration: number, lead = 0): Window {
  return { start: lo - lead, end: hi + duration };
}

/** Where both sets of sorted, disjoint intervals hold. */
export function intersect(a: readonly StartInterval[], b: readonly StartInterval[]): StartInterval[] {
  const out: StartInterval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i].from, b[j].from);
    const to = Math.min(a[i].to, b[j].to);
    if (from <= to) out.push({ from, to });
    if (a[i].to < b[j].to) i++;
    else j++;
  }
  return out;
}

/**
 * Where any of the sets holds, as sorted, disjoint intervals. Start instants are whole
 * milliseconds, so intervals that leave no whole millisecond between them are one.
 */
export function union(sets: ReadonlyArray<readonly StartInterval[]>): StartInterval[] {
  const all = sets.flat().sort((x, y) => x.from - y.from);
  const out: StartInterval[] = [];
  for (const s of all) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to + 1) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

export function contains(set: readonly StartInterval[], s: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (set[mid].to < s) lo = mid + 1;
    else if (set[mid].from > s) hi = mid - 1;
    else return true;
  }
  return false;
}

/**
 * How long a window starting at `start` can last before it touches an overloaded stretch
 * (0 when it cannot start at all). `busy` must cover [start - lead, start + longest).
 */
export function longestFrom(busy: readonly Window[], start: number, lead = 0): number {
  for (const b of busy) {
    if (b.end <= start - lead) continue;
    return Math.max(0, b.start - start);
  }
  return Number.POSITIVE_INFINITY;
}
