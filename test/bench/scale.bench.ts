// Control-plane scale: a real controller process, N hollow nodes in a process of their own (real
// protocol, real TLS, no containers), M reservations applied K at a time through the REST API,
// then the loss of 10 % of the nodes. Reports figures next to the targets; it does not
// assert (test/e2e/scale.test.ts does, at CI size). Every phase is bounded in time, so a
// controller that collapses is reported, not waited on.
//
//   npm run bench:scale -- --nodes 200 --reservations 4000 [--store sqlite|postgresql] [--inflight 16]
//     [--grace 20s] [--loss 0.1] [--start-now 0.1] [--cores 16] [--memory-gib 64] [--seed 42] [--json FILE]
//
// Builds dist/ first (see below). PostgreSQL: a fresh database on BERTH_TEST_PG_URL (else .berth/test-pg-url, else
// postgresql://postgres:berth@127.0.0.1:5432/postgres), dropped at the end. BERTH_LOG_LEVEL sets
// the controller's log level (default warn). Wrap runs in `flock /tmp/berth-e2e.lock` on a shared host.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildDist } from '../../scripts/build.ts';
import { referenceWorkMs } from '../support/cpu-reference.ts';
import { formatScaleReport, ScaleRun, scaleOptions, summaryLine, type Store } from '../support/scale-driver.ts';

function usage(message: string): never {
  process.stderr.write(
    `bench:scale: ${message}\nusage: npm run bench:scale -- --nodes N --reservations M [--store sqlite|postgresql] [--inflight 16] [--grace 20s] [--loss 0.1] [--start-now 0.1] [--cores 16] [--memory-gib 64] [--seed 42] [--json FILE]\n`,
  );
  process.exit(2);
}

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '100' },
      reservations: { type: 'string', default: '2000' },
      store: { type: 'string', default: 'sqlite' },
      inflight: { type: 'string', default: '16' },
      grace: { type: 'string' },
      loss: { type: 'string', default: '0.1' },
      'start-now': { type: 'string', default: '0.1' },
      cores: { type: 'string', default: '16' },
      'memory-gib': { type: 'string', default: '64' },
      seed: { type: 'string', default: '42' },
      json: { type: 'string' },
    },
  }));
} catch (err) {
  usage((err as Error).message);
}
const int = (name: string, min: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min}`);
  return n;
};
const fraction = (name: string) => {
  const n = Number(values[name]);
  if (!(n >= 0 && n <= 1)) usage(`--${name} must be between 0 and 1`);
  return n;
};
if (values.store !== 'sqlite' && values.store !== 'postgresql') usage('--store must be sqlite or postgresql');
if (values.nodes && Number(values.nodes) > 250 * 256) usage('--nodes: at most 64000');

const opts = scaleOptions({
  nodes: int('nodes', 1),
  reservations: int('reservations', 1),
  store: values.store as Store,
  inflight: int('inflight', 1),
  ...(values.grace ? { nodeGrace: values.grace } : {}),
  lossFraction: fraction('loss'),
  startNowFraction: fraction('start-now'),
  cores: int('cores', 1),
  memoryGiB: int('memory-gib', 1),
  seed: int('seed', 0),
});

// The controller runs what ships: dist/ built from the current sources (the bins fall back to the
// sources through tsx when dist/ is stale, which costs ~150 MB of RSS and CPU on every start).
// BERTH_FROM_SOURCES=1 measures the sources instead.
if (process.env.BERTH_FROM_SOURCES === '1') process.stderr.write('bench:scale: controller runs the TypeScript sources (BERTH_FROM_SOURCES=1)\n');
else {
  const built = await buildDist();
  process.stderr.write(`bench:scale: controller runs dist/ (berth ${built.version}, commit ${built.commit})\n`);
}

// Timed on a quiet machine before and after the run: how fast this machine's CPU was today.
const referenceBefore = referenceWorkMs();
const scale = new ScaleRun(opts);
// One Ctrl-C arrives several times (the terminal signals the whole group, and npm and tsx relay
// it), so only a signal well after the first counts as a second one.
let firstInterrupt: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (firstInterrupt !== undefined && Date.now() - firstInterrupt < 3_000) return;
    if (firstInterrupt === undefined) {
      firstInterrupt = Date.now();
      process.stderr.write(`\n${signal}: stopping, collecting what was measured and tearing down (again to skip the report)\n`);
      scale.abort();
    } else {
      process.stderr.write(`${signal}: tearing down at once\n`);
      void scale.teardown().finally(() => process.exit(130));
    }
  });
}

const result = await scale.run();
if (result.controllerLogTail?.trim()) process.stderr.write(`--- controller log (tail, level ${opts.controllerLogLevel})\n${result.controllerLogTail}\n---\n`);
const reference = { before_ms: Math.round(referenceBefore), after_ms: Math.round(referenceWorkMs()) };
console.log(formatScaleReport(result));
console.log(
  `machine reference (fixed CPU work, median of 5; larger = slower CPU at the time): ${reference.before_ms} ms before the run, ${reference.after_ms} ms after`,
);
console.log(summaryLine(result, { reference }));
if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
// Pooled keep-alive sockets of fetch would otherwise hold the process open for seconds.
process.exit(result.interrupted ? 130 : 0);
