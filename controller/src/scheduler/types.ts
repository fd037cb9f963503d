export interface Window {
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

// CPU is in whole millicores throughout the scheduler (a node's whole cores x 1000), so every
// comparison is exact integer arithmetic: 0.1 + 0.2 never fails to fit 0.3.
export interface Placement extends Window {
  milliCores: number;
  memoryMiB: number;
}

export interface NodeCandidate {
  id: string;
  name: string;
  milliCores: number;
  memoryMiB: number;
  ready: boolean;
  cordoned: boolean;
  /** Reservations already committed to this node (any window; the checks filter by overlap). */
  placements: Placement[];
  /** Optional index of the same placements; when present, window queries use it (much faster). */
  index?: PlacementIndexLike;
}

export interface PlacementIndexLike {
  forEachOverlapping(w: Window, fn: (p: Placement) => void): void;
  collect(w: Window, out: Placement[]): void;
  add(p: Placement): void;
  remove?(p: Placement): boolean;
}

export interface PlacementRequest extends Window {
  milliCores: number;
  memoryMiB: number;
}

export interface Rejection {
  node: string;
  reason: string;
}

export type Strategy = 'min-ram-ratio' | 'binpack' | 'spread';

/** `examined`: how many nodes the scan looked at (all of them unless it stopped early). */
export type Decision =
  | { ok: true; node: NodeCandidate; score: number; rejections: Rejection[]; examined?: number }
  | { ok: false; rejections: Rejection[]; examined?: number };
