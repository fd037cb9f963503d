// Availability, in one process: 1,000 nodes with 50,000 reservations placed across 10 days by
// admission's own CapacityIndex (public ports and node slots counted), then one availability
// request over 7 days answered BENCH_RUNS times by the controller's code path (capacity `starts`,
// the offers, and admission's check of each offer); p50/p99 against the 50 ms target. The offers
// are then compared with a brute-force search that asks admission itself (publicPortShortage +
// decide) at every instant where the answer can change.
// Run: npm run bench:availability
import { pino } from 'pino';
import { CapacityIndex } from '../../controller/src/capacity/index.ts';
import type { Placement } from '../../controller/src/scheduler/index.ts';
import { findOffers, type ServiceContext, type Want } from '../../controller/src/services/index.ts';
import type { User } from '../../controller/src/store/index.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const PLACED = Number(process.env.BENCH_PLACED ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 5);
const M = 60_000;
const H = 60 * M;
const DAYS = Number(process.env.BENCH_DAYS ?? 10);
const LEAD = 30_000;
const T0 = Date.UTC(2026, 0, 1);

let seed = 42;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];

function buildCluster() {
  const index = new CapacityIndex(2768, LEAD);
  for (let i = 0; i < NODES; i++) {
    index.upsertNode({
      id: `n${i}`,
      name: `node-${String(i).padStart(4, '0')}`,
      cores: pick([16, 32, 64]),
      memoryMiB: pick([65_536, 131_072, 262_144]),
      ready: random() > 0.01,
      cordoned: random() < 0.01,
    });
  }
  const placed: Placement[] = [];
  let tries = 0;
  // Each on a random node, through admission's decide for that node (so none is overbooked):
  // deciding over every node for 50,000 placements would take the bench minutes to build.
  while (placed.length < PLACED && tries++ < PLACED * 3) {
    const start = T0 + Math.floor(random() * DAYS * 24 * 4) * 15 * M;
    const p = { start, end: start + pick([1, 2, 4, 8, 24]) * H, milliCores: pick([500, 1000, 2000, 4000, 8000]), memoryMiB: pick([1024, 4096, 8192, 16_384]) };
    const ports = pick([0, 1, 1, 2]);
    if (index.publicPortShortage(p, ports)) continue;
    const d = index.decide(p, 'min-ram-ratio', { onlyNodeId: `n${Math.floor(random() * NODES)}` });
    if (!d.ok) continue;
    index.commit(`r${placed.length}`, { nodeId: d.node.id, ...p, publicPorts: ports });
    placed.push(p);
  }
  return { index, placed };
}

const built0 = performance.now();
const { index, placed } = buildCluster();
const buildMs = performance.now() - built0;
const log = pino({ level: 'silent' });
const now = T0 + 24 * H; // reservations before it, and all through the 7 days after it
const ctx = { admission: { capacity: index }, clock: { now: () => now }, config: { strategy: 'min-ram-ratio' }, log } as unknown as ServiceContext;
const admin = { id: 'admin', role: 'admin' } as User; // no quota: nothing to read from a store
const want: Want = {
  durationMs: 2 * H,
  milliCores: Number(process.env.BENCH_CORES ?? 60_000),
  memoryMiB: Number(process.env.BENCH_MEMORY_MIB ?? 250_000),
  publicPorts: 1,
};
const lo = now;
const hi = now + 7 * 24 * H;

const times: number[] = [];
let offers = (await findOffers(ctx, admin, want, {}, lo, hi, LIMIT)).offers;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  offers = (await findOffers(ctx, admin, want, {}, lo, hi, LIMIT)).offers;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];

// Brute force: admission's verdict at an instant. Feasibility can only become true at the range
// start or where capacity frees (a placement's end, or end + lead for ports and node slots), and
// only become false just after a placement's start minus the duration.
const fits = (s: number) => {
  const w = { start: s, end: s + want.durationMs, milliCores: want.milliCores, memoryMiB: want.memoryMiB };
  return !index.publicPortShortage(w, want.publicPorts) && index.decide(w, 'min-ram-ratio').ok;
};
const inRange = (t: number) => t >= lo && t <= hi;
const opens = [...new Set([lo, ...placed.flatMap((p) => [p.end, p.end + LEAD])].filter(inRange))].sort((a, b) => a - b);
const closes = [...new Set([hi, ...placed.map((p) => p.start - want.durationMs)].filter(inRange))].sort((a, b) => a - b);
const bruteStart = performance.now();
const brute: Array<{ start: number; latestStart: number }> = [];
let checked = 0;
for (const s of opens) {
  if (brute.length === LIMIT) break;
  if (brute.length && s <= brute[brute.length - 1].latestStart) continue;
  checked++;
  if (!fits(s) || (s !== lo && fits(s - 1))) continue;
  let latest = hi;
  for (const r of closes) {
    if (r < s) continue;
    checked++;
    if (fits(r) && (r === hi || !fits(r + 1))) {
      latest = r;
      break;
    }
  }
  brute.push({ start: s, latestStart: latest });
}
const bruteMs = performance.now() - bruteStart;
const found = offers.map((o) => ({ start: o.start, latestStart: o.latestStart }));
const identical = JSON.stringify(found) === JSON.stringify(brute);
const iso = (t: number) => new Date(t).toISOString();

console.log(`availability over 7 days, ${NODES} nodes, ${placed.length} reservations placed (built in ${Math.round(buildMs)} ms), ${RUNS} runs`);
console.log(`  request: ${want.milliCores / 1000} cores, ${want.memoryMiB} MiB, 2h, 1 public port; ${offers.length} offers:`);
for (const o of offers) console.log(`    ${iso(o.start)} .. latest ${iso(o.latestStart)}  (${o.nodes.length} nodes at its start)`);
console.log(`  latency: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (target p99 <= 50 ms)`);
console.log(`  brute force (${checked} admission checks, ${Math.round(bruteMs)} ms): ${identical ? 'identical offers' : 'DIFFERENT offers'}`);
if (!identical) console.log(`  brute force found: ${JSON.stringify(brute.map((b) => [iso(b.start), iso(b.latestStart)]))}`);
console.log(
  JSON.stringify({
    nodes: NODES,
    placed: placed.length,
    runs: RUNS,
    offers: offers.length,
    p50Ms: Number(q(0.5).toFixed(2)),
    p99Ms: Number(q(0.99).toFixed(2)),
    target: 50,
    identicalToBruteForce: identical,
    ok: q(0.99) <= 50 && identical && offers.length > 0,
  }),
);
process.exitCode = q(0.99) <= 50 && identical ? 0 : 1;
