// Admission's view of committed capacity, in memory: every node's placements (indexed by time
// bucket) and the cluster-wide use of public ports over time. It is rebuilt from the store on
// start and changed only inside the admission critical section, in the same section as the
// store write it mirrors, so a decision never reads a stale picture written by this controller.
// Pure: no I/O; capacity-store.ts loads it.
import { isNodeReady } from '../domain/node-ready.ts';
import {
  feasibleNodesToFind,
  firstFailure,
  intersect,
  isReady,
  isSchedulable,
  longestFrom,
  overloaded,
  peaksEach,
  PlacementIndex,
  schedule,
  spanOf,
  startsAvoiding,
  sweepPeak,
  windowStats,
  type StartInterval,
  type Window,
  type Decision,
  type NodeCandidate,
  type Placement,
  type PlacementRequest,
  type Rejection,
  type Strategy,
} from '../scheduler/index.ts';

/**
 * Reservations one node may hold at any instant (Kubernetes' default maxPods, 110). Millicores
 * and small memory would otherwise let thousands share a node, and the node's whole desired set
 * travels as one message: this cap times the largest spec the manifest limits allow is what the
 * agent stream is sized for (STREAM_MAX_MESSAGE_BYTES in @berth/proto).
 */
export const MAX_RESERVATIONS_PER_NODE = 110;

/** The size-independent checks (NotReady, cordoned) take a size; `free` asks for any. */
const ANY_SIZE = { milliCores: 0, memoryMiB: 0 };

export interface NodeShape {
  id: string;
  name: string;
  /** Whole cores, as the agent registers them; the index keeps millicores. */
  cores: number;
  memoryMiB: number;
  cordoned: boolean;
  ready: boolean;
}

type NodeRow = Omit<NodeShape, 'ready'> & { status?: unknown };

/**
 * The one way a node row (or a registering agent's node) becomes admission's view of it; `ready`
 * defaults to the Ready condition in the row's status.
 */
export function nodeShapeOf(row: NodeRow, ready: boolean = isNodeReady(row.status)): NodeShape {
  return { id: row.id, name: row.name, cores: row.cores, memoryMiB: row.memoryMiB, cordoned: row.cordoned, ready };
}

export interface Commitment {
  nodeId: string;
  start: number;
  end: number;
  milliCores: number;
  memoryMiB: number;
  /** Public ports the reservation holds while it runs (one per image port). */
  publicPorts: number;
}

/** What availability asks about: a request of a given size and length, starting in [lo, hi]. */
export interface StartsQuery {
  lo: number;
  hi: number;
  durationMs: number;
  milliCores: number;
  memoryMiB: number;
  publicPorts: number;
}

export interface Scope {
  /** A reservation being re-admitted does not compete with itself. */
  excludeReservationId?: string;
  onlyNodeId?: string;
}

interface Entry {
  nodeId: string;
  placement: Placement;
  ports?: Placement;
  /** The reservation's place in its node's desired set: from when it is prepared to its end. */
  slot: Placement;
}

export class CapacityIndex {
  private readonly nodes = new Map<string, NodeCandidate>();
  private readonly entries = new Map<string, Entry>();
  private readonly ports = new PlacementIndex();
  /** Peak public ports per bucket of `ports`, kept until a placement in the bucket changes. */
  private readonly portPeaks = new Map<number, number>();
  /** Per node: one placement per reservation, counting 1, over its slot window. */
  private readonly slots = new Map<string, PlacementIndex>();
  private list: NodeCandidate[] | undefined;
  /** Where the next decision's scan starts (it examines a share of a large cluster). */
  private nextScan = 0;

  /**
   * @param publicPortPool how many public (NAT) ports exist in the whole cluster
   * @param portLeadMs ports are taken this long before a window opens (the container is prepared)
   * @param maxReservationsPerNode how many reservations a node's desired set may hold at once
   */
  constructor(
    readonly publicPortPool: number,
    readonly portLeadMs: number,
    readonly maxReservationsPerNode = MAX_RESERVATIONS_PER_NODE,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  upsertNode(n: NodeShape): void {
    const existing = this.nodes.get(n.id);
    const shape = { name: n.name, milliCores: n.cores * 1000, memoryMiB: n.memoryMiB, cordoned: n.cordoned, ready: n.ready };
    if (existing) {
      Object.assign(existing, shape);
      return;
    }
    this.nodes.set(n.id, { id: n.id, ...shape, placements: [], index: new PlacementIndex() });
    this.list = undefined;
  }

  setReady(nodeId: string, ready: boolean): void {
    const node = this.nodes.get(nodeId);
    if (node) node.ready = ready;
  }

  setCordoned(nodeId: string, cordoned: boolean): void {
    const node = this.nodes.get(nodeId);
    if (node) node.cordoned = cordoned;
  }

  node(nodeId: string): Readonly<NodeCandidate> | undefined {
    return this.nodes.get(nodeId);
  }

  reservationIds(): string[] {
    return [...this.entries.keys()];
  }

  has(reservationId: string): boolean {
    return this.entries.has(reservationId);
  }

  /** Records (or replaces) what a reservation holds. */
  commit(reservationId: string, c: Commitment): void {
    this.release(reservationId);
    const node = this.nodes.get(c.nodeId);
    if (!node) return; // a node row always exists before a placement on it; be lenient on load
    const placement: Placement = { start: c.start, end: c.end, milliCores: c.milliCores, memoryMiB: c.memoryMiB };
    node.index!.add(placement);
    // The node is sent the container a lead before its window opens and holds it to the end.
    const slot: Placement = { start: c.start - this.portLeadMs, end: c.end, milliCores: 1, memoryMiB: 1 };
    this.slotsOf(c.nodeId).add(slot);
    const entry: Entry = { nodeId: c.nodeId, placement, slot };
    if (c.publicPorts > 0) {
      // A placement whose "CPU" and memory are both the port count: the same peak sweep counts ports.
      entry.ports = { start: c.start - this.portLeadMs, end: c.end, milliCores: c.publicPorts, memoryMiB: c.publicPorts };
      this.portsChanged(entry.ports);
      this.ports.add(entry.ports);
    }
    this.entries.set(reservationId, entry);
  }

  /** Frees what a reservation holds; releasing twice is a no-op. */
  release(reservationId: string): void {
    const entry = this.entries.get(reservationId);
    if (!entry) return;
    (this.nodes.get(entry.nodeId)?.index as PlacementIndex | undefined)?.remove(entry.placement);
    this.slots.get(entry.nodeId)?.remove(entry.slot);
    if (entry.ports) this.portsChanged(entry.ports);
    if (entry.ports) this.ports.remove(entry.ports);
    this.entries.delete(reservationId);
  }

  /** Moves a reservation to another node, keeping its window and public ports. */
  move(reservationId: string, toNodeId: string, from: number): void {
    const entry = this.entries.get(reservationId);
    if (!entry) return;
    const p = entry.placement;
    this.commit(reservationId, {
      nodeId: toNodeId,
      start: Math.max(p.start, from),
      end: p.end,
      milliCores: p.milliCores,
      memoryMiB: p.memoryMiB,
      publicPorts: entry.ports?.milliCores ?? 0,
    });
  }

  /**
   * Places a request with the scheduler, the reservation itself left out (a re-admission does
   * not compete with itself). Nothing changes here: the caller commits after its store write.
   */
  decide(request: PlacementRequest, strategy: Strategy, opts: Scope = {}): Decision {
    return this.excluding(opts.excludeReservationId, () => {
      const nodes = this.scope(opts.onlyNodeId);
      const full: Rejection[] = [];
      const open = nodes.filter((n) => {
        const why = n.ready && !n.cordoned ? this.slotShortage(n.id, request) : undefined; // else the scheduler says why
        if (why) full.push({ node: n.name, reason: why });
        return !why;
      });
      // Binpack looks for the fullest node, which a share of the cluster would miss: it sees all.
      const enough = strategy === 'binpack' ? open.length : feasibleNodesToFind(open.length);
      const decision = schedule(open, request, strategy, { from: this.nextScan, enough });
      this.nextScan = open.length > 0 ? (this.nextScan + (decision.examined ?? open.length)) % open.length : 0;
      return full.length === 0 ? decision : { ...decision, rejections: [...full, ...decision.rejections] };
    });
  }

  /**
   * Every start in [lo, hi] at which the request fits, per node (only nodes where it fits at
   * some start), and the starts the cluster's public ports allow. The same checks as `decide`
   * and `publicPortShortage`, solved for the start instead of tested at one. Changes nothing.
   */
  starts(q: StartsQuery, opts: Scope = {}): { ports: StartInterval[]; nodes: Array<{ node: Readonly<NodeCandidate>; starts: StartInterval[] }> } {
    return this.excluding(opts.excludeReservationId, () => {
      const span = spanOf(q.lo, q.hi, q.durationMs);
      const leadSpan = spanOf(q.lo, q.hi, q.durationMs, this.portLeadMs);
      const nodes: Array<{ node: Readonly<NodeCandidate>; starts: StartInterval[] }> = [];
      const hits: Placement[] = [];
      for (const node of this.scope(opts.onlyNodeId)) {
        if (firstFailure(node, q)) continue;
        hits.length = 0;
        node.index!.collect(span, hits);
        let starts = startsAvoiding(overloaded(hits, span, node, q), q.lo, q.hi, q.durationMs);
        const slots = starts.length ? this.slotsFull(node.id, leadSpan) : undefined;
        if (slots?.length) starts = intersect(starts, startsAvoiding(slots, q.lo, q.hi, q.durationMs, this.portLeadMs));
        if (starts.length) nodes.push({ node, starts });
      }
      const ports = this.portsFull(leadSpan, q.publicPorts);
      return { ports: startsAvoiding(ports, q.lo, q.hi, q.durationMs, this.portLeadMs), nodes };
    });
  }

  /**
   * How long a window of the request's size starting at `start` may last (up to maxMs), per node
   * that could take it at all, and as far as the public ports allow.
   */
  longest(start: number, maxMs: number, q: Omit<StartsQuery, 'lo' | 'hi' | 'durationMs'>, opts: Scope = {}) {
    return this.excluding(opts.excludeReservationId, () => {
      const span = { start, end: start + maxMs };
      const leadSpan = { start: start - this.portLeadMs, end: start + maxMs };
      const nodes: Array<{ node: Readonly<NodeCandidate>; longest: number }> = [];
      const hits: Placement[] = [];
      for (const node of this.scope(opts.onlyNodeId)) {
        if (firstFailure(node, q)) continue;
        hits.length = 0;
        node.index!.collect(span, hits);
        const slots = this.slotsFull(node.id, leadSpan);
        const longest = Math.min(maxMs, longestFrom(overloaded(hits, span, node, q), start), slots ? longestFrom(slots, start, this.portLeadMs) : maxMs);
        if (longest > 0) nodes.push({ node, longest });
      }
      return { ports: Math.min(maxMs, longestFrom(this.portsFull(leadSpan, q.publicPorts), start, this.portLeadMs)), nodes };
    });
  }

  /** What each open node has free at its busiest instant of the window (any request size). */
  free(window: Window, publicPorts: number, opts: Scope = {}) {
    return this.excluding(opts.excludeReservationId, () => {
      const nodes: Array<{ node: Readonly<NodeCandidate>; milliCores: number; memoryMiB: number }> = [];
      for (const node of this.scope(opts.onlyNodeId)) {
        if (isReady(node, ANY_SIZE) || isSchedulable(node, ANY_SIZE) || this.slotShortage(node.id, window)) continue;
        const stats = windowStats(node, window);
        nodes.push({ node, milliCores: node.milliCores - stats.peakMilliCores, memoryMiB: node.memoryMiB - stats.peakMemoryMiB });
      }
      return { portsFit: !this.publicPortShortage(window, publicPorts), nodes };
    });
  }

  /**
   * How many more requests of one size fit over the whole of each window (in order, not
   * overlapping: the hours of a week): on the open nodes together, with one node that takes one,
   * and as far as the cluster's public ports allow (counted up to what the nodes take: beyond
   * that the ports do not decide). Admission's own checks (decide, publicPortShortage) counted
   * instead of tested once: identical requests spanning the same window each take the same
   * share, so a node's count is its free room at its busiest instant divided by the size.
   */
  fitsEach(windows: readonly Window[], size: { milliCores: number; memoryMiB: number }, publicPorts: number) {
    const out = windows.map(() => ({ count: 0, ports: 0, nodeId: undefined as string | undefined }));
    if (windows.length === 0) return out;
    const span = { start: windows[0].start, end: windows[windows.length - 1].end };
    const hits: Placement[] = [];
    for (const node of this.candidates()) {
      if (isReady(node, size) || isSchedulable(node, size)) continue;
      hits.length = 0;
      node.index!.collect(span, hits);
      const peaks = peaksEach(hits, windows);
      for (let i = 0; i < windows.length; i++) {
        const room = Math.min(
          Math.floor((node.milliCores - peaks.milliCores[i]) / size.milliCores),
          Math.floor((node.memoryMiB - peaks.memoryMiB[i]) / size.memoryMiB),
        );
        const count = room > 0 ? Math.min(room, this.slotRoom(node.id, windows[i], room)) : 0;
        if (count <= 0) continue;
        out[i].count += count;
        out[i].nodeId ??= node.id;
      }
    }
    const ports = this.portRooms(
      windows,
      publicPorts,
      out.map((o) => o.count),
    );
    return out.map((o, i) => ({ ...o, ports: ports[i] }));
  }

  /** Runs fn with a reservation's placement, slot and ports left out, then puts them back. */
  private excluding<T>(reservationId: string | undefined, fn: () => T): T {
    const excluded = reservationId ? this.entries.get(reservationId) : undefined;
    if (!excluded) return fn();
    (this.nodes.get(excluded.nodeId)?.index as PlacementIndex | undefined)?.remove(excluded.placement);
    this.slots.get(excluded.nodeId)?.remove(excluded.slot);
    if (excluded.ports) this.portsChanged(excluded.ports);
    if (excluded.ports) this.ports.remove(excluded.ports);
    try {
      return fn();
    } finally {
      (this.nodes.get(excluded.nodeId)?.index as PlacementIndex | undefined)?.add(excluded.placement);
      this.slots.get(excluded.nodeId)?.add(excluded.slot);
      if (excluded.ports) this.portsChanged(excluded.ports);
      if (excluded.ports) this.ports.add(excluded.ports);
    }
  }

  private scope(onlyNodeId: string | undefined): NodeCandidate[] {
    return onlyNodeId ? [this.nodes.get(onlyNodeId)].filter((n): n is NodeCandidate => !!n) : this.candidates();
  }

  /** Where the node's desired set is full within the span (undefined: it never can be). */
  private slotsFull(nodeId: string, span: Window): Window[] | undefined {
    const slots = this.slots.get(nodeId);
    if (!slots || slots.size < this.maxReservationsPerNode) return undefined;
    const hits: Placement[] = [];
    slots.collect(span, hits);
    const max = this.maxReservationsPerNode;
    return overloaded(hits, span, { milliCores: max, memoryMiB: max }, { milliCores: 1, memoryMiB: 1 });
  }

  /** How many more reservations the node's desired set takes over the window, up to `upTo`. */
  private slotRoom(nodeId: string, window: Window, upTo: number): number {
    const slots = this.slots.get(nodeId);
    // Fewer placements in all than the cap leaves room for upTo: no scan (the common case).
    if (!slots || slots.size + upTo <= this.maxReservationsPerNode) return upTo;
    const w = { start: window.start - this.portLeadMs, end: window.end };
    const hits: Placement[] = [];
    slots.collect(w, hits);
    return Math.min(upTo, this.maxReservationsPerNode - sweepPeak(hits, w).milliCores);
  }

  /**
   * Per window, how many more requests of `count` public ports each the pool takes over it (from
   * the ports' lead before it), up to upTo[i]. One sweep for all: each window with its lead is
   * a union of the pieces between the windows' edges, and pieces do not overlap.
   */
  private portRooms(windows: readonly Window[], count: number, upTo: readonly number[]): number[] {
    if (count === 0 || windows.length === 0) return [...upTo];
    const lead = this.portLeadMs;
    const cuts = [...new Set(windows.flatMap((w) => [w.start - lead, w.start, w.end]))].sort((a, b) => a - b);
    const pieces = cuts.slice(1).map((end, i) => ({ start: cuts[i], end }));
    const hits: Placement[] = [];
    this.ports.collect({ start: cuts[0], end: cuts[cuts.length - 1] }, hits);
    const peaks = peaksEach(hits, pieces).milliCores;
    let first = 0;
    return windows.map((w, i) => {
      while (pieces[first].start < w.start - lead) first++;
      let peak = 0;
      for (let k = first; k < pieces.length && pieces[k].end <= w.end; k++) peak = Math.max(peak, peaks[k]);
      return Math.min(upTo[i], Math.max(0, Math.floor((this.publicPortPool - peak) / count)));
    });
  }

  private portsChanged(p: Placement): void {
    const size = this.ports.bucketMs;
    for (let b = Math.floor(p.start / size); b <= Math.floor((p.end - 1) / size); b++) this.portPeaks.delete(b);
  }

  /**
   * Where `count` more public ports do not fit within the span. Bucket by bucket, each bucket's
   * peak cached until it changes: the span may hold every reservation of the cluster for days,
   * and sweeping them all at every call would dominate it. Only a bucket that may be full is swept.
   */
  private portsFull(span: Window, count: number): Window[] {
    if (count === 0) return [];
    const pool = this.publicPortPool;
    const out: Window[] = [];
    const size = this.ports.bucketMs;
    this.ports.forEachBucket(span, (part, placements) => {
      // The bucket's peak bounds the part's: only a bucket that may be full is swept for the part.
      const bucket = Math.floor(part.start / size);
      let peak = this.portPeaks.get(bucket);
      if (peak === undefined) {
        peak = sweepPeak(placements as Placement[], { start: bucket * size, end: (bucket + 1) * size }).milliCores;
        this.portPeaks.set(bucket, peak);
      }
      if (peak + count <= pool) return;
      for (const w of overloaded(placements, part, { milliCores: pool, memoryMiB: pool }, { milliCores: count, memoryMiB: count })) {
        const last = out[out.length - 1];
        if (last && last.end === w.start) last.end = w.end;
        else out.push(w);
      }
    });
    return out;
  }

  /** Why the node's desired set has no room for one more reservation somewhere in the window. */
  private slotShortage(nodeId: string, window: { start: number; end: number }): string | undefined {
    const slots = this.slots.get(nodeId);
    // Fewer placements in all than the cap: no window can be full (the common case, no scan).
    if (!slots || slots.size < this.maxReservationsPerNode) return undefined;
    const w = { start: window.start - this.portLeadMs, end: window.end };
    const hits: Placement[] = [];
    slots.collect(w, hits);
    // The count bounds the peak from above: only a crowded window needs the sweep.
    const peak = hits.length < this.maxReservationsPerNode ? hits.length : sweepPeak(hits, w).milliCores;
    if (peak < this.maxReservationsPerNode) return undefined;
    return `reservations: ${peak} of at most ${this.maxReservationsPerNode} per node already placed in the window`;
  }

  private slotsOf(nodeId: string): PlacementIndex {
    let slots = this.slots.get(nodeId);
    if (!slots) this.slots.set(nodeId, (slots = new PlacementIndex()));
    return slots;
  }

  /** Why `count` more public ports do not fit somewhere in the window, or undefined. */
  publicPortShortage(window: { start: number; end: number }, count: number, excludeReservationId?: string): string | undefined {
    if (count === 0) return undefined;
    const w = { start: window.start - this.portLeadMs, end: window.end };
    const skip = excludeReservationId ? this.entries.get(excludeReservationId)?.ports : undefined;
    const hits: Placement[] = [];
    let sum = 0;
    this.ports.forEachOverlapping(w, (p) => {
      if (p === skip) return;
      hits.push(p);
      sum += p.milliCores;
    });
    // The sum bounds the peak from above: only a window that might not fit needs the sweep.
    const peak = sum + count <= this.publicPortPool ? sum : sweepPeak(hits, w).milliCores;
    if (peak + count <= this.publicPortPool) return undefined;
    return `public ports: ${peak} of ${this.publicPortPool} already taken in the window, needs ${count} more`;
  }

  candidates(): NodeCandidate[] {
    return (this.list ??= [...this.nodes.values()]);
  }
}
