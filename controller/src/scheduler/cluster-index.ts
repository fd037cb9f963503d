// A whole cluster's placements in one time-bucketed, column-oriented index, for scheduling at
// scale: a window query scans a few contiguous buckets once and accumulates every node's RAM-time
// and committed sums, instead of chasing each node's own structures (which is memory-bound at
// thousands of nodes). Decisions are exactly those of schedule() on the same candidates.
import { decide } from './schedule.ts';
import { windowStats, type WindowStats } from './window-stats.ts';
import { indexPlacements, DEFAULT_BUCKET_MS } from './placement-index.ts';
import type { Decision, NodeCandidate, Placement, PlacementRequest, Strategy } from './types.ts';

interface Bucket {
  node: number[];
  start: number[];
  end: number[];
  memoryMiB: number[];
  milliCores: number[];
}

export class ClusterIndex {
  private buckets: Array<Bucket | undefined> = [];
  private base: number | undefined;
  private readonly position = new Map<NodeCandidate, number>();
  // Per-node accumulators, reused by every query.
  private readonly ramTime: Float64Array;
  private readonly count: Uint32Array;
  private readonly sumMemory: Float64Array;
  private readonly sumMilliCores: Float64Array;

  constructor(readonly nodes: NodeCandidate[], readonly bucketMs = DEFAULT_BUCKET_MS) {
    this.ramTime = new Float64Array(nodes.length);
    this.count = new Uint32Array(nodes.length);
    this.sumMemory = new Float64Array(nodes.length);
    this.sumMilliCores = new Float64Array(nodes.length);
    nodes.forEach((n, i) => {
      this.position.set(n, i);
      n.index ??= indexPlacements(n.placements);
      for (const p of n.placements) this.addToBuckets(i, p);
    });
  }

  /** Records a placement on a node (after a decision), in the node's own list and index too. */
  add(node: NodeCandidate, p: Placement): void {
    const i = this.position.get(node);
    if (i === undefined) throw new Error(`node ${node.name} is not in this index`);
    node.placements.push(p);
    node.index!.add(p);
    this.addToBuckets(i, p);
  }

  schedule(request: PlacementRequest, strategy: Strategy = 'min-ram-ratio'): Decision {
    this.accumulate(request);
    return decide(this.nodes, request, strategy, (node, i) => this.quickStats(node, i, request));
  }

  /**
   * The sums bound the peak from above: when even the sums fit, so does the peak, and the
   * decision is the same. Only a node that might not fit gets the exact sweep.
   */
  private quickStats(node: NodeCandidate, i: number, request: PlacementRequest): WindowStats {
    if (this.count[i] === 0) return { peakMilliCores: 0, peakMemoryMiB: 0, ramTime: 0, count: 0 };
    if (this.sumMemory[i] + request.memoryMiB <= node.memoryMiB && this.sumMilliCores[i] + request.milliCores <= node.milliCores) {
      return { peakMilliCores: this.sumMilliCores[i], peakMemoryMiB: this.sumMemory[i], ramTime: this.ramTime[i], count: this.count[i] };
    }
    return windowStats(node, request);
  }

  private accumulate(w: PlacementRequest): void {
    this.ramTime.fill(0);
    this.count.fill(0);
    this.sumMemory.fill(0);
    this.sumMilliCores.fill(0);
    if (this.base === undefined) return;
    const first = Math.floor(w.start / this.bucketMs);
    const last = Math.floor((w.end - 1) / this.bucketMs);
    for (let b = Math.max(first, this.base); b <= last; b++) {
      const bucket: Bucket | undefined = this.buckets[b - this.base];
      if (!bucket) continue;
      const bucketStart = b * this.bucketMs;
      const { node, start, end, memoryMiB, milliCores }: Bucket = bucket;
      for (let k = 0; k < node.length; k++) {
        const s = start[k];
        const e = end[k];
        // Counted in an earlier queried bucket unless it starts in this one.
        if ((b > first && s < bucketStart) || s >= w.end || e <= w.start) continue;
        const n = node[k];
        this.ramTime[n] += memoryMiB[k] * (Math.min(e, w.end) - Math.max(s, w.start));
        this.count[n]++;
        this.sumMemory[n] += memoryMiB[k];
        this.sumMilliCores[n] += milliCores[k];
      }
    }
  }

  private addToBuckets(nodeIndex: number, p: Placement): void {
    const first = Math.floor(p.start / this.bucketMs);
    const last = Math.floor((p.end - 1) / this.bucketMs);
    if (this.base === undefined) this.base = first;
    if (first < this.base) {
      this.buckets = [...new Array<Bucket | undefined>(this.base - first), ...this.buckets];
      this.base = first;
    }
    for (let b = first; b <= last; b++) {
      let bucket = this.buckets[b - this.base];
      if (!bucket) bucket = this.buckets[b - this.base] = { node: [], start: [], end: [], memoryMiB: [], milliCores: [] };
      bucket.node.push(nodeIndex);
      bucket.start.push(p.start);
      bucket.end.push(p.end);
      bucket.memoryMiB.push(p.memoryMiB);
      bucket.milliCores.push(p.milliCores);
    }
  }
}
