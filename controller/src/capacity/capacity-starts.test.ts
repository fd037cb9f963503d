// CapacityIndex.starts / longest / free / fitsEach against admission's own checks (decide and
// publicPortShortage) on random clusters: every start it reports fits, every start it leaves out
// does not, including node slots, public ports with their lead, NotReady and cordoned nodes.
import { describe, expect, it } from 'vitest';
import { contains, union, windowStats } from '../scheduler/index.ts';
import { CapacityIndex } from './capacity-index.ts';

const M = 60_000;
const H = 60 * M;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCluster(random: () => number) {
  const lead = 30_000;
  const ix = new CapacityIndex(6, lead, 3); // 6 public ports, 3 reservations per node: both run out
  const nodes = 2 + Math.floor(random() * 4);
  for (let i = 0; i < nodes; i++) {
    ix.upsertNode({
      id: `n${i}`,
      name: `n${i}`,
      cores: 2 + Math.floor(random() * 3),
      memoryMiB: 1024 * (1 + Math.floor(random() * 3)),
      ready: random() > 0.15,
      cordoned: random() < 0.15,
    });
  }
  for (let r = 0; r < 25; r++) {
    const start = Math.floor(random() * 48) * 30 * M;
    const end = start + (1 + Math.floor(random() * 8)) * 30 * M;
    const req = { start, end, milliCores: 250 * (1 + Math.floor(random() * 8)), memoryMiB: 256 * (1 + Math.floor(random() * 4)) };
    const ports = Math.floor(random() * 3);
    if (ix.publicPortShortage(req, ports)) continue;
    const d = ix.decide(req, 'min-ram-ratio');
    if (d.ok) ix.commit(`r${r}`, { nodeId: d.node.id, ...req, publicPorts: ports });
  }
  return { ix, lead };
}

const admits = (ix: CapacityIndex, req: { start: number; end: number; milliCores: number; memoryMiB: number }, ports: number) =>
  !ix.publicPortShortage(req, ports) && ix.decide(req, 'min-ram-ratio').ok;

describe('CapacityIndex.starts', () => {
  it('reports exactly the starts admission accepts, on random clusters', () => {
    const random = rng(11);
    const seen = { fit: 0, refused: 0 };
    for (let round = 0; round < 40; round++) {
      const { ix, lead } = randomCluster(random);
      const q = {
        lo: 0,
        hi: 24 * H,
        durationMs: (1 + Math.floor(random() * 6)) * 20 * M,
        milliCores: 500 * (1 + Math.floor(random() * 4)),
        memoryMiB: 512,
        publicPorts: Math.floor(random() * 3),
      };
      const { ports, nodes } = ix.starts(q);
      const fits = union(nodes.map((n) => n.starts));
      const probes = new Set<number>();
      for (let t = q.lo; t <= q.hi; t += 15 * M) for (const d of [-1, 0, 1, lead, q.durationMs]) probes.add(Math.min(q.hi, Math.max(q.lo, t + d)));
      for (const s of probes) {
        const req = { start: s, end: s + q.durationMs, milliCores: q.milliCores, memoryMiB: q.memoryMiB };
        const admitted = admits(ix, req, q.publicPorts);
        expect(contains(fits, s) && contains(ports, s), `round ${round} start ${s}`).toBe(admitted);
        seen[admitted ? 'fit' : 'refused']++;
      }
    }
    // Both answers occur often, so the comparison is not vacuous.
    expect(Math.min(seen.fit, seen.refused)).toBeGreaterThan(1000);
  });

  it('longest and free agree with admission at the start they are asked about', () => {
    const random = rng(5);
    for (let round = 0; round < 40; round++) {
      const { ix } = randomCluster(random);
      const start = Math.floor(random() * 40) * 30 * M;
      const want = { milliCores: 1000, memoryMiB: 512, publicPorts: 1 };
      const room = ix.longest(start, 12 * H, want);
      const longest = Math.min(room.ports, Math.max(0, ...room.nodes.map((n) => n.longest)));
      const req = (ms: number) => ({ start, end: start + ms, milliCores: want.milliCores, memoryMiB: want.memoryMiB });
      if (longest > 0) expect(admits(ix, req(longest), 1)).toBe(true);
      if (longest < 12 * H) expect(admits(ix, req(longest + 1), 1)).toBe(false);
      const free = ix.free({ start, end: start + H }, 1);
      for (const n of free.nodes) {
        if (n.milliCores < 1 || n.memoryMiB < 1 || !free.portsFit) continue;
        const d = ix.decide({ start, end: start + H, milliCores: n.milliCores, memoryMiB: n.memoryMiB }, 'min-ram-ratio', { onlyNodeId: n.node.id });
        expect(d.ok).toBe(true);
        const more = ix.decide({ start, end: start + H, milliCores: n.milliCores + 1, memoryMiB: n.memoryMiB }, 'min-ram-ratio', { onlyNodeId: n.node.id });
        expect(more.ok).toBe(false);
      }
    }
  });

  it('fitsEach counts exactly how many copies of a request admission takes one after another, on random clusters', () => {
    const random = rng(23);
    const seen = { none: 0, some: 0, portBound: 0, slotBound: 0 };
    for (let round = 0; round < 200; round++) {
      const { ix } = randomCluster(random);
      const start = Math.floor(random() * 46) * 30 * M;
      const window = { start, end: start + (1 + Math.floor(random() * 4)) * 30 * M };
      const size = { milliCores: 250 * (1 + Math.floor(random() * 6)), memoryMiB: 256 * (1 + Math.floor(random() * 3)) };
      const ports = Math.floor(random() * 3);
      const [room] = ix.fitsEach([window], size, ports);
      // What cores and memory alone leave on the open nodes: more than counted means a node's reservation cap binds.
      const byResources = ix
        .candidates()
        .filter((n) => n.ready && !n.cordoned)
        .reduce((sum, n) => {
          const stats = windowStats(n, window);
          const fit = Math.min(
            Math.floor((n.milliCores - stats.peakMilliCores) / size.milliCores),
            Math.floor((n.memoryMiB - stats.peakMemoryMiB) / size.memoryMiB),
          );
          return sum + Math.max(0, fit);
        }, 0);
      let admitted = 0;
      for (;;) {
        const req = { ...window, ...size };
        if (ix.publicPortShortage(req, ports)) break;
        const d = ix.decide(req, 'min-ram-ratio');
        if (!d.ok) break;
        if (admitted === 0 && room.nodeId) expect(ix.decide(req, 'min-ram-ratio', { onlyNodeId: room.nodeId }).ok).toBe(true);
        ix.commit(`copy${admitted++}`, { nodeId: d.node.id, ...req, publicPorts: ports });
      }
      expect(Math.min(room.count, room.ports), `round ${round}`).toBe(admitted);
      seen[admitted ? 'some' : 'none']++;
      if (room.ports < room.count) seen.portBound++;
      if (room.count < byResources) seen.slotBound++;
    }
    // Full and free windows both occur; the port pool binds in some, a node's reservation cap in others.
    expect(Math.min(seen.none, seen.some, seen.portBound, seen.slotBound)).toBeGreaterThan(3);
  });

  it('fitsEach over consecutive windows answers as it does for each window alone', () => {
    const random = rng(31);
    for (let round = 0; round < 40; round++) {
      const { ix } = randomCluster(random);
      // Consecutive hours, the first cut short (the hour under way), with a gap before the last.
      const first = Math.floor(random() * 20) * 30 * M + 7 * M;
      const windows = [{ start: first, end: Math.ceil(first / H) * H }];
      for (let i = 0; i < 8; i++) windows.push({ start: windows[windows.length - 1].end, end: windows[windows.length - 1].end + H });
      windows.push({ start: windows[windows.length - 1].end + 2 * H, end: windows[windows.length - 1].end + 3 * H });
      const size = { milliCores: 250 * (1 + Math.floor(random() * 6)), memoryMiB: 256 * (1 + Math.floor(random() * 3)) };
      const ports = Math.floor(random() * 3);
      const together = ix.fitsEach(windows, size, ports);
      const alone = windows.map((w) => ix.fitsEach([w], size, ports)[0]);
      expect(
        together.map((r) => [r.count, r.ports]),
        `round ${round}`,
      ).toEqual(alone.map((r) => [r.count, r.ports]));
    }
  });

  it('leaves a re-admitted reservation out of its own way', () => {
    const ix = new CapacityIndex(10, 0);
    ix.upsertNode({ id: 'a', name: 'a', cores: 1, memoryMiB: 1024, ready: true, cordoned: false });
    ix.commit('r1', { nodeId: 'a', start: 0, end: 2 * H, milliCores: 1000, memoryMiB: 1024, publicPorts: 1 });
    const q = { lo: 0, hi: 4 * H, durationMs: H, milliCores: 1000, memoryMiB: 1024, publicPorts: 1 };
    expect(ix.starts(q).nodes[0].starts).toEqual([{ from: 2 * H, to: 4 * H }]);
    expect(ix.starts(q, { excludeReservationId: 'r1' }).nodes[0].starts).toEqual([{ from: 0, to: 4 * H }]);
    expect(ix.starts(q).nodes[0].starts).toEqual([{ from: 2 * H, to: 4 * H }]); // put back
  });
});
