// Scheduler throughput, pure and in one process: 1,000 nodes with 50,000 reservations already
// placed across 30 days, then as many placements as fit in the time budget, each decision added
// to the index as admission would. Uses admission's CapacityIndex (per-node placement indexes).
// Run: npm run bench:scheduler
import { CapacityIndex } from '../../controller/src/capacity/index.ts';
import { schedule, type NodeCandidate, type Placement, type Strategy } from '../../controller/src/scheduler/index.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const PLACED = Number(process.env.BENCH_PLACED ?? 50_000);
const PLACEMENTS = Number(process.env.BENCH_PLACEMENTS ?? 20_000);
const STRATEGY = (process.env.BENCH_STRATEGY ?? 'min-ram-ratio') as Strategy;
const H = 3_600_000;
const DAYS = 30;
const T0 = Date.UTC(2026, 0, 1);

// Deterministic pseudo-random numbers so runs compare (mulberry32).
let seed = 42;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];

function request(): Placement {
  const start = T0 + Math.floor(random() * DAYS * 24) * H;
  const hours = pick([1, 2, 4, 8, 24]);
  return {
    start,
    end: Math.min(start + hours * H, T0 + DAYS * 24 * H),
    milliCores: pick([500, 1000, 1000, 2000, 4000]),
    memoryMiB: pick([512, 1024, 2048, 4096]),
  };
}

// `plain` mirrors the index as bare candidates (placements in arrays) for the baseline below.
const plain: NodeCandidate[] = [];
const plainById = new Map<string, NodeCandidate>();
let ids = 0;
function commit(index: CapacityIndex, node: NodeCandidate, p: Placement): void {
  index.commit(`r${ids++}`, { nodeId: node.id, ...p, publicPorts: 0 });
  plainById.get(node.id)!.placements.push(p);
}

function buildCluster(): CapacityIndex {
  const index = new CapacityIndex(Number.MAX_SAFE_INTEGER, 0);
  for (let i = 0; i < NODES; i++) {
    const node = {
      id: `n${i}`,
      name: `node-${String(i).padStart(4, '0')}`,
      cores: pick([16, 32, 64]),
      memoryMiB: pick([65_536, 131_072, 262_144]),
      ready: random() > 0.01,
      cordoned: random() < 0.01,
    };
    index.upsertNode(node);
    const candidate = {
      id: node.id,
      name: node.name,
      milliCores: node.cores * 1000,
      memoryMiB: node.memoryMiB,
      ready: node.ready,
      cordoned: node.cordoned,
      placements: [],
    };
    plain.push(candidate);
    plainById.set(node.id, candidate);
  }
  for (let placed = 0; placed < PLACED; placed++) commit(index, plain[Math.floor(random() * plain.length)], request());
  return index;
}

const t0 = performance.now();
const cluster = buildCluster();
const built = performance.now() - t0;
const requests = Array.from({ length: PLACEMENTS }, request);
let admitted = 0;
const start = performance.now();
for (const r of requests) {
  const d = cluster.decide(r, STRATEGY);
  if (d.ok) {
    commit(cluster, d.node, r);
    admitted++;
  }
}
const seconds = (performance.now() - start) / 1000;
const rate = Math.round(PLACEMENTS / seconds);

// Baseline in the same process: the plain schedule() (an exact sweep of each node's placements)
// on the same cluster, for fewer requests since it is slower. Decisions are identical.
const BASELINE = Number(process.env.BENCH_BASELINE_PLACEMENTS ?? 300);
const baselineStart = performance.now();
for (const r of requests.slice(0, BASELINE)) schedule(plain, r, STRATEGY);
const baselineRate = Math.round(BASELINE / ((performance.now() - baselineStart) / 1000));
// The same index with every node ranked (no share of the cluster: see feasibleNodesToFind).
const FULL = Number(process.env.BENCH_FULL_SCAN_PLACEMENTS ?? 3000);
const fullStart = performance.now();
for (const r of requests.slice(0, FULL)) schedule(cluster.candidates(), r, STRATEGY);
const fullRate = Math.round(FULL / ((performance.now() - fullStart) / 1000));
console.log(`indexed: ${rate} placements/s; plain schedule(): ${baselineRate} placements/s; speed-up ${(rate / baselineRate).toFixed(1)}x; target 2000/s`);
console.log(`indexed, every node ranked (no share of the cluster): ${fullRate} placements/s; the share's speed-up ${(rate / fullRate).toFixed(1)}x`);
console.log(
  JSON.stringify({
    nodes: NODES,
    alreadyPlaced: PLACED,
    days: DAYS,
    strategy: STRATEGY,
    placements: PLACEMENTS,
    admitted,
    seconds: Number(seconds.toFixed(2)),
    placementsPerSecond: rate,
    buildMs: Math.round(built),
    baselinePlacementsPerSecond: baselineRate,
    fullScanPlacementsPerSecond: fullRate,
    target: 2000,
    ok: rate >= 2000,
  }),
);
