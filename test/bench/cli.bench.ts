// Start-up cost of the shipped executables, before (TypeScript sources through tsx, as every bin
// ran until the build existed) and after (the esbuild build in dist/), in one run:
//   - `berth --help` and `berth get nodes` against a running controller: wall time from spawn to
//     exit, median of BENCH_RUNS (default 10) runs, the two variants alternating run by run so
//     the load of a shared machine falls on both alike; `node -e ''` is shown as the floor;
//   - idle RSS of the agent and of the controller: VmRSS of the node process once the agent's
//     node is Ready and BENCH_IDLE_MS (default 10 s) have passed, with the part that is the node
//     binary's own read-only pages (shared by every node process on the machine) shown apart;
//     median of BENCH_RSS_RUNS (default 3) starts.
// NODE_EXTRA_CA_CERTS is removed from the environment of everything measured: Node 20 reads and
// parses that file at every start (on this machine's ca-certificates.crt, ~50 ms before the
// first line of any script runs), so it measures the machine, not Berth. Its cost is printed.
// Builds dist/ first, so "after" is the current sources. Run: npm run bench:cli
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDist } from '../../scripts/build.ts';
import { BERTH_BIN, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { removeNodeContainers } from '../support/host.ts';

const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS; // children inherit this environment (see above)
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const TARGETS = { help: 100, getNodes: 150, agentRssMiB: 60, controllerRssMiB: 150 };

type Variant = 'sources' | 'build';
// The bins pick a fresh dist/ on their own; BERTH_FROM_SOURCES=1 makes them take the sources.
const variantEnv = (v: Variant): Record<string, string> => (v === 'sources' ? { BERTH_FROM_SOURCES: '1' } : {});

function wallMs(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timeCommand(args: string[], env: Record<string, string | undefined> = {}): Promise<Record<Variant | 'node', number>> {
  const runs: Record<Variant | 'node', number[]> = { node: [], sources: [], build: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.node.push(await wallMs(['-e', ''], {}));
    for (const v of ['sources', 'build'] as const) runs[v].push(await wallMs([BERTH_BIN, ...args], { ...env, ...variantEnv(v) }));
  }
  return { node: median(runs.node), sources: median(runs.sources), build: median(runs.build) };
}

interface Rss {
  total: number;
  /** Pages of the node binary itself: read-only, the same pages in every node process. */
  nodeBinary: number;
}

async function rssMiB(pid: number): Promise<Rss> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const smaps = await readFile(`/proc/${pid}/smaps`, 'utf8');
  let nodeBinary = 0;
  let inBinary = false;
  for (const line of smaps.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) inBinary = mapping[1] === process.execPath;
    else if (inBinary && line.startsWith('Rss:')) nodeBinary += Number(line.split(/\s+/)[1]);
  }
  return { total: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024, nodeBinary: nodeBinary / 1024 };
}

/** A controller and an agent of one variant, both idle with the node Ready; their RSS. */
async function idleRss(v: Variant): Promise<{ controller: Rss; agent: Rss }> {
  let controller: ControllerProcess | undefined;
  let agent: AgentProcess | undefined;
  const nodeName = uniqueName(`bench-${v}`);
  try {
    controller = await startController({ nat: 'userspace', env: variantEnv(v) });
    agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName, env: variantEnv(v) });
    await waitFor(
      async () => {
        const res = await controller!.api.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/api/v1/nodes/${nodeName}`);
        return res.body?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      { timeoutMs: 60_000, what: `node ${nodeName} Ready` },
    );
    await new Promise((r) => setTimeout(r, IDLE_MS)); // idle is the thing measured: no condition to await
    return { controller: await rssMiB(controller.child.pid!), agent: await rssMiB(agent.child.pid!) };
  } finally {
    await agent?.stop();
    await controller?.stop();
    await removeNodeContainers(nodeName); // its tenant networks too: the engine has ~30 address pools
  }
}

const fmt = (n: number, unit: string) => `${n.toFixed(unit === 'ms' ? 0 : 1)} ${unit}`;
function row(what: string, before: number, after: number, target: number, unit: string, note = ''): void {
  const verdict = after <= target ? 'ok' : 'MISSED';
  const extra = note ? `   (${note})` : '';
  console.log(
    `${what.padEnd(28)} before ${fmt(before, unit).padStart(9)}   after ${fmt(after, unit).padStart(9)}   target <= ${target} ${unit}: ${verdict}${extra}`,
  );
}

const info = await buildDist();
console.log(`berth ${info.version} (${info.commit}); before = sources through tsx, after = dist/; medians of ${RUNS} runs`);

if (EXTRA_CA) {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await wallMs(['-e', ''], { NODE_EXTRA_CA_CERTS: EXTRA_CA }));
  const withIt = median(runs);
  console.log(`NODE_EXTRA_CA_CERTS=${EXTRA_CA} is set here; measured without it (node -e '' with it: ${fmt(withIt, 'ms')})`);
}

const help = await timeCommand(['--help']);
let getNodes: Record<Variant | 'node', number>;
{
  const controller = await startController({ nat: 'userspace' });
  try {
    getNodes = await timeCommand(['get', 'nodes'], { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') });
  } finally {
    await controller.stop();
  }
}
// RSS at idle varies by ~±1.5 MiB from one start to the next (when the last GC ran): medians.
const RSS_RUNS = Number(process.env.BENCH_RSS_RUNS ?? 3);
const samples: Record<Variant, { controller: Rss; agent: Rss }[]> = { sources: [], build: [] };
for (let i = 0; i < RSS_RUNS; i++) for (const v of ['sources', 'build'] as const) samples[v].push(await idleRss(v));
const medianRss = (xs: Rss[]): Rss => [...xs].sort((a, b) => a.total - b.total)[Math.floor(xs.length / 2)];
const before = { agent: medianRss(samples.sources.map((x) => x.agent)), controller: medianRss(samples.sources.map((x) => x.controller)) };
const after = { agent: medianRss(samples.build.map((x) => x.agent)), controller: medianRss(samples.build.map((x) => x.controller)) };

const binary = (r: Rss) => `of which the node binary's shared pages: ${fmt(r.nodeBinary, 'MiB')}`;
row('berth --help', help.sources, help.build, TARGETS.help, 'ms', `node -e '' alone: ${fmt(help.node, 'ms')}`);
row('berth get nodes', getNodes.sources, getNodes.build, TARGETS.getNodes, 'ms', `node -e '' alone: ${fmt(getNodes.node, 'ms')}`);
row('agent idle RSS', before.agent.total, after.agent.total, TARGETS.agentRssMiB, 'MiB', binary(after.agent));
row('controller idle RSS', before.controller.total, after.controller.total, TARGETS.controllerRssMiB, 'MiB', binary(after.controller));
process.exit(0);
