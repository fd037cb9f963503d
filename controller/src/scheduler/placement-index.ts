// Per-node index of placements by time bucket, so the placements overlapping a window are found
// without scanning the node's whole calendar. A placement is stored in every bucket it spans; a
// query counts a placement only in the first queried bucket it appears in (no dedupe set).
import type { Placement, Window } from './types.ts';

// Six hours: a typical window touches one or two buckets, each holding a handful of placements.
export const DEFAULT_BUCKET_MS = 6 * 3_600_000;

export class PlacementIndex {
  // A dense array from `base` (bucket number of the earliest bucket seen): array indexing is much
  // cheaper than Map lookups, and the scheduler does one per bucket per node per placement.
  private buckets: Array<Placement[] | undefined> = [];
  private base = 0;
  private count = 0;

  constructor(readonly bucketMs = DEFAULT_BUCKET_MS) {}

  get size(): number {
    return this.count;
  }

  add(p: Placement): void {
    const last = Math.floor((p.end - 1) / this.bucketMs);
    const first = Math.floor(p.start / this.bucketMs);
    if (this.count === 0 && this.buckets.length === 0) this.base = first;
    if (first < this.base) {
      this.buckets = [...new Array<Placement[] | undefined>(this.base - first), ...this.buckets];
      this.base = first;
    }
    for (let b = first; b <= last; b++) {
      const list = this.buckets[b - this.base];
      if (list) list.push(p);
      else this.buckets[b - this.base] = [p];
    }
    this.count++;
  }

  /** Removes a placement added before (by identity); false when it was not there. */
  remove(p: Placement): boolean {
    const first = Math.max(Math.floor(p.start / this.bucketMs), this.base);
    const last = Math.floor((p.end - 1) / this.bucketMs);
    let found = false;
    for (let b = first; b <= last; b++) {
      const list = this.buckets[b - this.base];
      const i = list ? list.indexOf(p) : -1;
      if (i < 0) continue;
      list!.splice(i, 1);
      found = true;
    }
    if (found) this.count--;
    return found;
  }

  /** Appends every placement overlapping the window to out (no closure: the scheduler's hot path). */
  collect(w: Window, out: Placement[]): void {
    const first = Math.floor(w.start / this.bucketMs);
    const last = Math.floor((w.end - 1) / this.bucketMs);
    for (let b = Math.max(first, this.base); b <= last; b++) {
      const list = this.buckets[b - this.base];
      if (!list) continue;
      const bucketStart = b * this.bucketMs;
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        if (b > first && p.start < bucketStart) continue;
        if (p.start < w.end && w.start < p.end) out.push(p);
      }
    }
  }

  /** Calls fn once for every placement overlapping the window. */
  forEachOverlapping(w: Window, fn: (p: Placement) => void): void {
    const first = Math.floor(w.start / this.bucketMs);
    const last = Math.floor((w.end - 1) / this.bucketMs);
    for (let b = Math.max(first, this.base); b <= last; b++) {
      const list = this.buckets[b - this.base];
      if (!list) continue;
      const bucketStart = b * this.bucketMs;
      for (const p of list) {
        // Seen in an earlier queried bucket already unless it starts in this one.
        if (b > first && p.start < bucketStart) continue;
        if (p.start < w.end && w.start < p.end) fn(p);
      }
    }
  }

  /**
   * Calls fn for each bucket the window touches, with the part of the window in that bucket and
   * every placement overlapping the bucket (it may overlap the neighbours too). Usage inside the
   * bucket depends on these alone, so a caller can bound or sweep one bucket at a time.
   */
  forEachBucket(w: Window, fn: (part: Window, placements: readonly Placement[]) => void): void {
    const first = Math.floor(w.start / this.bucketMs);
    const last = Math.floor((w.end - 1) / this.bucketMs);
    for (let b = Math.max(first, this.base); b <= last; b++) {
      const list = this.buckets[b - this.base];
      if (!list || list.length === 0) continue;
      fn({ start: Math.max(w.start, b * this.bucketMs), end: Math.min(w.end, (b + 1) * this.bucketMs) }, list);
    }
  }

  overlapping(w: Window): Placement[] {
    const out: Placement[] = [];
    this.forEachOverlapping(w, (p) => out.push(p));
    return out;
  }
}

/**
 * Builds an index of the given placements at once. Admission's CapacityIndex adds placements one
 * by one instead; this is for checking indexed decisions against plain ones.
 */
export function indexPlacements(placements: Placement[], bucketMs = DEFAULT_BUCKET_MS): PlacementIndex {
  const index = new PlacementIndex(bucketMs);
  for (const p of placements) index.add(p);
  return index;
}
