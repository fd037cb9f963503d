// Control-plane scale run, shared by `npm run bench:scale` (test/bench/scale.bench.ts) and the CI
// test (test/e2e/scale.test.ts). It speaks to the controller only through its wire protocol (the
// hollow agents) and its REST API, so it measures the controller the same way whatever is inside.
//
// Phases, each bounded in time: an image is applied -> hollow nodes register -> reservations are
// applied N at a time -> the started ones must run -> (optionally) a share of the nodes holding
// started reservations is lost and their reservations must move. All along: the controller's
// RSS and CPU from /proc, /healthz latency, node readiness (for flaps) and Node events.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { parseDurationMs } from '../../controller/src/manifests/quantity.ts';
import { HollowAgentsProcess, type HollowStats } from './hollow-agents.ts';
import { cpuBetween, ProcessSampler, type SamplerResult } from './process-sampler.ts';
import { removeDir, startController, type ControllerProcess } from './processes.ts';

const run = promisify(execFile);
const H = 3_600_000;
const GiB = 1024 ** 3;
/** Public (NAT) ports the controller hands out: 30000-32767. */
export const PUBLIC_PORT_POOL = 2768;
export const DEFAULT_PG_URL = 'postgresql://postgres:berth@127.0.0.1:5432/postgres';
const PG_URL_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.berth/test-pg-url');

/** BERTH_TEST_PG_URL, else the URL scripts/setup.sh recorded (as vitest.config.ts reads it), else the default. */
export function pgUrl(): string {
  if (process.env.BERTH_TEST_PG_URL) return process.env.BERTH_TEST_PG_URL;
  return existsSync(PG_URL_FILE) ? readFileSync(PG_URL_FILE, 'utf8').trim() : DEFAULT_PG_URL;
}
export const IMAGE_NAME = 'scale';
/** A /healthz probe is given up (and counted failed) after this long. */
const PROBE_TIMEOUT_MS = 10_000;

export type Store = 'sqlite' | 'postgresql';

export interface ScaleBudgets {
  /** From the hollow process start until every node must be Ready. */
  readyMs: number;
  /** For the image apply (retried until then). */
  imageMs: number;
  /** No apply is sent after this long into the apply phase (the rest count as not sent). */
  applyMs: number;
  /** One POST /apply is abandoned after this long (counted as a timeout). */
  applyRequestMs: number;
  /** After the last apply answer, how long started reservations get to be Running. */
  runningMs: number;
  /** After a node loss, how long beyond the node grace the reservations get to move. */
  rescheduleExtraMs: number;
  /** The last reads of nodes and Node events, patient because a struggling controller is slow. */
  finalReadMs: number;
}

export interface ScaleOptions {
  nodes: number;
  reservations: number;
  store: Store;
  /** Concurrent POST /api/v1/apply. */
  inflight: number;
  /** Controller's BERTH_NODE_GRACE. */
  nodeGrace: string;
  /** Share of reservations that start at once (the rest start hours to days ahead). */
  startNowFraction: number;
  /** Share of nodes lost after the started reservations run; 0 skips the phase. */
  lossFraction: number;
  /** Capacity each hollow node registers. */
  cores: number;
  memoryGiB: number;
  seed: number;
  budgets: ScaleBudgets;
  /** Controller log level (the bench keeps it quiet so logging does not weigh on the figures). */
  controllerLogLevel: string;
  /** PostgreSQL server for --store postgresql: a fresh database is created there and dropped. */
  pgUrl: string;
  /** Progress lines (stderr in the bench). */
  log: (line: string) => void;
}

export function defaultBudgets(nodes: number, reservations: number): ScaleBudgets {
  return {
    readyMs: Math.max(60_000, nodes * 60),
    imageMs: 60_000,
    applyMs: Math.max(120_000, reservations * 30),
    applyRequestMs: 60_000,
    runningMs: 120_000,
    rescheduleExtraMs: 90_000,
    finalReadMs: 60_000,
  };
}

export function scaleOptions(partial: Partial<ScaleOptions> & Pick<ScaleOptions, 'nodes' | 'reservations'>): ScaleOptions {
  return {
    store: 'sqlite',
    inflight: 16,
    nodeGrace: process.env.BERTH_NODE_GRACE ?? '20s',
    startNowFraction: 0.1,
    lossFraction: 0.1,
    cores: 16,
    memoryGiB: 64,
    seed: 42,
    controllerLogLevel: process.env.BERTH_LOG_LEVEL ?? 'warn',
    pgUrl: pgUrl(),
    log: (line) => process.stderr.write(`${line}\n`),
    ...partial,
    budgets: { ...defaultBudgets(partial.nodes, partial.reservations), ...partial.budgets },
  };
}

// ------------------------------------------------------------------ results

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ScaleResult {
  options: Omit<ScaleOptions, 'log'>;
  nat?: 'iptables' | 'userspace';
  nodeGraceMs: number;
  /** Epoch ms marks of the phases. */
  marks: Record<string, number>;
  ready: {
    /** From the hollow process start until GET /nodes showed every node Ready. */
    allReadyMs?: number;
    /** Ready nodes at the last look of the phase. */
    readyAtEnd: number;
    /** The hollow process's view: every node had its Registered answer. */
    hollowAllRegisteredMs?: number;
    /** Store statements the controller sent from the hollow spawn to all Ready, per node. */
    statementsPerJoin?: number;
  };
  plan: { startNow: number; future: number; horizonDays: number; peakConcurrent: number; peakCores: number };
  apply: {
    planned: number;
    sent: number;
    notSent: number;
    /** HTTP status (or "timeout", "error") -> count. */
    byStatus: Record<string, number>;
    created: number;
    seconds: number;
    /** 201 answers per second of the apply phase. */
    createdPerSecond: number;
    /** Answers of any kind per second. */
    answersPerSecond: number;
    latencyMs?: Latency;
    /** A few distinct messages of non-201 answers, per status. */
    samples: Record<string, string[]>;
    /** Store statements the controller sent during the phase (all its work), per created reservation. */
    statementsPerApply?: number;
  };
  running: {
    /** Start-now reservations that were created (201). */
    expected: number;
    running: number;
    failed: number;
    /** Until a list showed every one Running and Ready (upper bound: the list's arrival). */
    msAfterLastApply?: number;
    /** The same from the controller's stamps: latest Ready transition minus the last apply answer. */
    stampMsAfterLastApply?: number;
  };
  loss?: {
    nodes: string[];
    startedAffected: number;
    futureAffected: number;
    /** Started reservations on another node, Running and Ready. */
    movedRunning: number;
    /** Not-yet-started reservations now placed on another node. */
    movedFuture: number;
    failed: number;
    stillWaiting: number;
    /** From the stop until every affected reservation had moved (or failed). */
    ms?: number;
    /**
     * The same by the controller's own stamps (Ready of the started ones, Scheduled of the future
     * ones, both lastTransitionTime): free of the list poll's period and its time under load.
     */
    stampMs?: number;
  };
  controller: { peakRssBytes?: number; cpuSeconds?: number; cpuByPhase: Record<string, number>; peakRssByPhase?: Record<string, number> };
  /** The hollow process: on a small machine it competes with the controller for CPU. */
  hollow: { peakRssBytes?: number; cpuSeconds?: number; cpuByPhase: Record<string, number> };
  healthz: { probes: number; failures: number; p50?: number; p99?: number; maxMs?: number; failureSamples: string[]; maxByPhase: Record<string, number> };
  /**
   * The controller's own event-loop delay, max per phase (its /metrics, read at the phase's
   * end): tells a controller that could not serve from a probe that waited elsewhere.
   */
  loopDelayMaxByPhase: Record<string, number>;
  flaps: {
    /** NotReady transitions seen in GET /nodes of nodes that were Ready before and not stopped. */
    polled: Array<{ node: string; at: number }>;
    /** NodeNotReady events of nodes not stopped (before their stop). */
    events: Array<{ node: string; at: number }>;
    /**
     * From one last GET /nodes: nodes not stopped that are NotReady at the end, or whose Ready
     * condition changed after every node was Ready (lastTransitionTime moves only on a flip), so a
     * flap shows here even when polling missed it.
     */
    final: Array<{ node: string; at: number }>;
    /** The last GET /nodes was answered. */
    nodesReadAtEnd: boolean;
    /**
     * Longest stretch, from the first all-Ready to the end, without a GET /nodes answer: a flap
     * shorter than this could have gone unseen by polling (Node events still record it).
     */
    longestUnobservedMs?: number;
    /** Node events were read after the last phase (else events after the last read are unknown). */
    eventsReadAtEnd: boolean;
  };
  hollowConnections: {
    reRegistrations: number;
    streamLosses: number;
    lossReasons: Record<string, number>;
    /** Nodes not stopped by the run whose stream was down when the figures were taken. */
    disconnectedAtEnd: number;
  };
  /** What went wrong or was cut short; empty on a clean run. */
  problems: string[];
  /** Last lines the controller wrote (at its log level), kept when there were problems. */
  controllerLogTail?: string;
  interrupted: boolean;
}

// ------------------------------------------------------------------ plan

/** Deterministic pseudo-random numbers (mulberry32) so runs compare. */
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedReservation {
  name: string;
  startNow: boolean;
  manifest: { apiVersion: 'berth/v1'; kind: 'Reservation'; metadata: { name: string }; spec: Record<string, unknown> };
  /** For the capacity check: start (epoch ms, now for start-now), end, cores, memory. */
  start: number;
  end: number;
  cores: number;
  memoryMiB: number;
}

export function scaleImage() {
  return {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: IMAGE_NAME },
    // Never pulled: hollow nodes only pretend to run it.
    spec: { ref: 'berth-test/httpd:1', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '512Mi', maxCores: 4, maxMemory: '4Gi' } },
  };
}

/**
 * `count` reservations: ~`startNowFraction` start at once, interleaved with the others, which start
 * between 2 h and the horizon ahead (whole 5 minutes) so none starts during the run. Windows are
 * 1-4 h. The horizon grows until at no instant more than 90 % of the public port pool or 70 % of
 * the cluster's cores are committed, so every apply can be admitted.
 */
export function planReservations(
  count: number,
  o: { startNowFraction: number; now: number; nodes: number; coresPerNode: number; memoryMiBPerNode: number; seed: number },
) {
  for (let horizonDays = 3; ; horizonDays *= 2) {
    const random = prng(o.seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const items: PlannedReservation[] = [];
    for (let i = 0; i < count; i++) {
      const startNow = Math.floor((i + 1) * o.startNowFraction) > Math.floor(i * o.startNowFraction);
      const hours = pick([1, 2, 3, 4]);
      const cores = pick([1, 1, 1, 2]);
      const memory = pick(['512Mi', '1Gi', '1Gi', '2Gi']);
      const memoryMiB = memory.endsWith('Gi') ? Number(memory.slice(0, -2)) * 1024 : Number(memory.slice(0, -2));
      const start = startNow ? o.now : Math.ceil((o.now + 2 * H + random() * horizonDays * 24 * H) / 300_000) * 300_000;
      const name = `r-${String(i).padStart(5, '0')}`;
      const spec: Record<string, unknown> = { image: IMAGE_NAME, duration: `${hours}h`, profile: 'ephemeral', cores, memory };
      if (!startNow) spec.start = new Date(start).toISOString();
      items.push({
        name,
        startNow,
        start,
        end: start + hours * H,
        cores,
        memoryMiB,
        manifest: { apiVersion: 'berth/v1', kind: 'Reservation', metadata: { name }, spec },
      });
    }
    const peak = peakOf(items);
    const fits =
      peak.concurrent <= PUBLIC_PORT_POOL * 0.9 && peak.cores <= o.nodes * o.coresPerNode * 0.7 && peak.memoryMiB <= o.nodes * o.memoryMiBPerNode * 0.7;
    if (fits || horizonDays >= 24) {
      return { items, horizonDays, peakConcurrent: peak.concurrent, peakCores: peak.cores, fits };
    }
  }
}

function peakOf(items: PlannedReservation[]) {
  const edges = items
    .flatMap((r) => [
      { t: r.start, d: 1, c: r.cores, m: r.memoryMiB },
      { t: r.end, d: -1, c: -r.cores, m: -r.memoryMiB },
    ])
    .sort((a, b) => a.t - b.t || a.d - b.d);
  let concurrent = 0,
    cores = 0,
    memoryMiB = 0;
  const peak = { concurrent: 0, cores: 0, memoryMiB: 0 };
  for (const e of edges) {
    concurrent += e.d;
    cores += e.c;
    memoryMiB += e.m;
    peak.concurrent = Math.max(peak.concurrent, concurrent);
    peak.cores = Math.max(peak.cores, cores);
    peak.memoryMiB = Math.max(peak.memoryMiB, memoryMiB);
  }
  return peak;
}

// ------------------------------------------------------------------ helpers

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function latencyOf(xs: number[]): Latency | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

class Interrupted extends Error {}

type Conditioned = {
  status?: {
    phase?: string;
    node?: string;
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }>;
  };
};
const readyTrue = (o: Conditioned) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const runningReady = (o: Conditioned) => o.status?.phase === 'Running' && readyTrue(o);

interface ApiAnswer {
  status: number;
  body: any;
  /** Epoch ms the answer arrived. */
  at: number;
}

async function iptablesUsable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('iptables', ['-w', '5', '-t', 'nat', '-S', 'PREROUTING'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no end within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------------ the run

export class ScaleRun {
  readonly result: ScaleResult;
  private controller?: ControllerProcess;
  private hollow?: HollowAgentsProcess;
  private sampler?: ProcessSampler;
  private samples?: SamplerResult;
  private dataDir?: string;
  private pgDatabase?: string;
  private statementsAtSpawn?: number;
  private readonly chainPrefix = `BS${randomBytes(3).toString('hex')}`;
  private readonly prefix = `hollow-${randomBytes(3).toString('hex')}`;
  private aborted = false;
  private readonly abortController = new AbortController();
  // Stops the background observers (and their requests in flight) once the figures are in.
  private readonly backgroundAbort = new AbortController();
  /** Reservation name -> HTTP status of its apply. */
  private readonly applyStatus = new Map<string, number>();
  private tearingDown?: Promise<void>;
  private readonly background: Array<Promise<void>> = [];
  private backgroundStop = false;
  // Node readiness as last polled, and NotReady transitions (after a first Ready).
  private readonly nodeReady = new Map<string, boolean>();
  private nodePollMs = 500;
  private readonly nodeEvents = new Map<string, { node: string; reason: string; at: number }>();
  private readonly stoppedAt = new Map<string, number>();
  private lastNodeList?: { at: number; ready: number; total: number };
  /** Epoch ms of every GET /nodes answer, to tell how long readiness went unobserved. */
  private readonly nodeListTimes: number[] = [];
  private eventsFetchedAt: number[] = [];
  private hollowStats?: HollowStats;

  constructor(readonly opts: ScaleOptions) {
    // Every request and sleep listens on these (many at once during the apply phase).
    setMaxListeners(0, this.abortController.signal, this.backgroundAbort.signal);
    const { log: _log, ...rest } = opts;
    this.result = {
      options: rest,
      nodeGraceMs: parseDurationMs(opts.nodeGrace) ?? NaN,
      marks: {},
      ready: { readyAtEnd: 0 },
      plan: { startNow: 0, future: 0, horizonDays: 0, peakConcurrent: 0, peakCores: 0 },
      apply: { planned: opts.reservations, sent: 0, notSent: 0, byStatus: {}, created: 0, seconds: 0, createdPerSecond: 0, answersPerSecond: 0, samples: {} },
      running: { expected: 0, running: 0, failed: 0 },
      controller: { cpuByPhase: {} },
      hollow: { cpuByPhase: {} },
      healthz: { probes: 0, failures: 0, failureSamples: [], maxByPhase: {} },
      loopDelayMaxByPhase: {},
      flaps: { polled: [], events: [], final: [], nodesReadAtEnd: false, eventsReadAtEnd: false },
      hollowConnections: { reRegistrations: 0, streamLosses: 0, lossReasons: {}, disconnectedAtEnd: 0 },
      problems: [],
      interrupted: false,
    };
  }

  /** Ctrl-C: the current phase stops at its next check; run() then collects and tears down. */
  abort(): void {
    this.aborted = true;
    this.result.interrupted = true;
    this.abortController.abort();
  }

  private log(line: string): void {
    this.opts.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}`);
  }

  private problem(text: string): void {
    this.result.problems.push(text);
    this.log(`PROBLEM: ${text}`);
  }

  private mark(name: string, at = Date.now()): number {
    this.result.marks[name] = at;
    return at;
  }

  private check(): void {
    if (this.aborted) throw new Interrupted('interrupted');
    const c = this.controller?.child;
    if (c && (c.exitCode !== null || c.signalCode !== null)) {
      throw new Error(`controller exited (${c.exitCode ?? c.signalCode}); log tail:\n${this.controller!.log.slice(-3000)}`);
    }
    if (this.hollow && !this.hollow.alive) throw new Error(`hollow agents process exited; log tail:\n${this.hollow.log.slice(-2000)}`);
  }

  /** Sleeps, cut short by Ctrl-C (and by `also`, e.g. the end of the background observers). */
  private async sleep(ms: number, also?: AbortSignal): Promise<void> {
    const signal = also ? AbortSignal.any([this.abortController.signal, also]) : this.abortController.signal;
    if (ms <= 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const cut = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', cut);
        resolve();
      }, ms);
      signal.addEventListener('abort', cut, { once: true });
    });
  }

  /**
   * One REST call, abandoned after `timeoutMs` (a TimeoutError), on Ctrl-C or on `also`. The timer
   * is a plain setTimeout: on Node 20 an AbortSignal.timeout inside AbortSignal.any can be
   * garbage-collected and never fire, which let a request to a stuck controller wait for minutes.
   */
  private async api(method: string, p: string, body: unknown, timeoutMs: number, also?: AbortSignal): Promise<ApiAnswer> {
    const c = this.controller!;
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      const e = new Error(`${method} ${p}: no answer within ${timeoutMs} ms`);
      e.name = 'TimeoutError';
      ctl.abort(e);
    }, timeoutMs);
    const sources = [this.abortController.signal, ...(also ? [also] : [])];
    const cut = () => ctl.abort(new Error('interrupted'));
    for (const s of sources) s.addEventListener('abort', cut, { once: true });
    if (sources.some((s) => s.aborted)) cut();
    try {
      const res = await c.fetch(`${c.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${c.api.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: ctl.signal,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, at: Date.now() };
    } finally {
      clearTimeout(timer);
      for (const s of sources) s.removeEventListener('abort', cut);
    }
  }

  async run(): Promise<ScaleResult> {
    try {
      await this.setup();
      await this.phaseReady();
      const plan = this.plan();
      await this.phaseApply(plan);
      await this.phaseRunning(plan);
      if (this.opts.lossFraction > 0) await this.phaseLoss();
    } catch (err) {
      if (err instanceof Interrupted || this.aborted) this.problem('interrupted: the remaining phases were skipped');
      else this.problem(`run stopped: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.mark('end');
      await this.collect().catch((err) => this.problem(`collecting figures failed: ${String(err)}`));
      if (this.result.problems.length && this.controller) this.result.controllerLogTail = this.controller.log.split('\n').slice(-40).join('\n');
      await this.teardown();
    }
    return this.result;
  }

  // -------------------------------------------------------------- setup

  private async setup(): Promise<void> {
    const o = this.opts;
    this.result.nat = (await iptablesUsable()) ? 'iptables' : 'userspace';
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-scale-'));
    let databaseUrl: string | undefined;
    if (o.store === 'postgresql') {
      this.pgDatabase = `berth_scale_${randomBytes(5).toString('hex')}`;
      await this.pgAdmin((c) => c.query(`CREATE DATABASE ${this.pgDatabase}`));
      const url = new URL(o.pgUrl);
      url.pathname = `/${this.pgDatabase}`;
      databaseUrl = url.toString();
    }
    this.check();
    this.log(`starting controller (${o.store}, nat ${this.result.nat}, node grace ${o.nodeGrace}, log level ${o.controllerLogLevel})`);
    this.controller = await startController({
      dataDir: this.dataDir,
      databaseUrl,
      nat: this.result.nat,
      chainPrefix: this.chainPrefix,
      // Hollow nodes claim addresses of their own but all connect from loopback.
      env: { BERTH_NODE_GRACE: o.nodeGrace, BERTH_LOG_LEVEL: o.controllerLogLevel, BERTH_AGENTS_BEHIND_NAT: 'true' },
    });
    this.mark('controllerReady');
    // Before any node: a controller overwhelmed by the registrations still gets its applies
    // measured (and counted as they fail) rather than the run stopping at the image.
    await this.phaseImage();
    this.check();
    const spawnCount = await this.statementCount();
    this.log(`spawning ${o.nodes} hollow nodes (${o.cores} cores / ${o.memoryGiB} GiB each)`);
    this.hollow = HollowAgentsProcess.spawn({
      controller: this.controller.grpcAddress,
      joinToken: this.controller.joinToken,
      nodes: o.nodes,
      prefix: this.prefix,
      cores: o.cores,
      memoryBytes: o.memoryGiB * GiB,
    });
    this.mark('hollowSpawned', this.hollow.spawnedAt);
    this.statementsAtSpawn = spawnCount;
    this.sampler = new ProcessSampler({
      pids: { controller: this.controller.child.pid!, hollow: this.hollow.pid },
      probeUrl: `${this.controller.url}/healthz`,
      probeCa: this.controller.ca,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
    });
    this.background.push(this.pollNodes(), this.pollEvents());
    await bounded(this.hollow.started, 60_000, 'hollow agents start');
  }

  /**
   * berth_controller_store_statements_total from the controller's /metrics; undefined if unread.
   * Each read also ends a window of the controller's event-loop delay max: given a phase, that
   * window's max is the phase's.
   */
  private async statementCount(phase?: string): Promise<number | undefined> {
    const c = this.controller;
    if (!c) return undefined;
    try {
      const text = await (await c.fetch(`${c.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      const loopMax = /^berth_controller_event_loop_delay_seconds\{stat="max"\} ([\d.e+-]+)/m.exec(text);
      if (phase && loopMax) this.result.loopDelayMaxByPhase[phase] = Number(loopMax[1]) * 1000;
      const m = /^berth_controller_store_statements_total (\d+)/m.exec(text);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  private async pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.opts.pgUrl, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  // -------------------------------------------------------------- background observers

  private async pollNodes(): Promise<void> {
    while (!this.backgroundStop) {
      const started = Date.now();
      try {
        const { status, body } = await this.api('GET', '/api/v1/nodes', undefined, 30_000, this.backgroundAbort.signal);
        if (status === 200) this.observeNodes((body as { items: Array<{ metadata: { name: string } } & Conditioned> }).items, Date.now());
      } catch {
        // slow or refused: the next poll tries again; /healthz tells how the server fares
      }
      // Keep only a tail of the controller's output: a long run would otherwise hold it all.
      const out = this.controller?.output;
      if (out && out.length > 4000) out.splice(0, out.length - 2000);
      await this.sleep(this.nodePollMs - (Date.now() - started), this.backgroundAbort.signal);
      if (this.aborted) return;
    }
  }

  private observeNodes(items: Array<{ metadata: { name: string } } & Conditioned>, at: number): void {
    let ready = 0;
    for (const n of items) {
      const name = n.metadata.name;
      const now = readyTrue(n);
      if (now) ready++;
      const before = this.nodeReady.get(name);
      if (before === true && !now) {
        const stopped = this.stoppedAt.get(name);
        if (stopped === undefined || at < stopped) this.result.flaps.polled.push({ node: name, at });
      }
      // A node counts as having flapped only after it was Ready once.
      if (before !== undefined || now) this.nodeReady.set(name, now);
    }
    this.lastNodeList = { at, ready, total: items.length };
    this.nodeListTimes.push(at);
  }

  private async pollEvents(): Promise<void> {
    while (!this.backgroundStop) {
      await this.fetchNodeEvents(this.backgroundAbort.signal).catch(() => undefined);
      await this.sleep(5_000, this.backgroundAbort.signal);
      if (this.aborted) return;
    }
  }

  private async fetchNodeEvents(signal?: AbortSignal, timeoutMs = 15_000): Promise<void> {
    const { status, body } = await this.api('GET', '/api/v1/events?kind=Node&limit=1000', undefined, timeoutMs, signal);
    if (status !== 200) return;
    const items = (body as { items: Array<{ metadata: { uid: string }; reason: string; involvedObject: { name: string }; time: string }> }).items;
    for (const e of items) this.nodeEvents.set(e.metadata.uid, { node: e.involvedObject.name, reason: e.reason, at: Date.parse(e.time) });
    this.eventsFetchedAt.push(Date.now());
  }

  // -------------------------------------------------------------- phases

  private async phaseReady(): Promise<void> {
    const o = this.opts;
    const spawned = this.hollow!.spawnedAt;
    const deadline = spawned + o.budgets.readyMs;
    this.log(`waiting for ${o.nodes} nodes Ready (budget ${o.budgets.readyMs / 1000} s)`);
    let logged = { ready: -1, at: 0 };
    while (Date.now() < deadline) {
      this.check();
      const l = this.lastNodeList;
      if (l && l.ready >= o.nodes) {
        this.result.ready.allReadyMs = l.at - spawned;
        break;
      }
      if (l && l.ready !== logged.ready && Date.now() - logged.at >= 2_000) {
        logged = { ready: l.ready, at: Date.now() };
        this.log(`  ${l.ready}/${o.nodes} Ready after ${((l.at - spawned) / 1000).toFixed(1)} s`);
      }
      await this.sleep(100);
    }
    this.result.ready.readyAtEnd = this.lastNodeList?.ready ?? 0;
    const stats = await this.hollow!.stats().catch(() => undefined);
    this.result.ready.hollowAllRegisteredMs = stats?.allRegisteredMs;
    this.mark('allReady');
    const readyCount = await this.statementCount('register');
    if (readyCount !== undefined && this.statementsAtSpawn !== undefined && this.result.ready.allReadyMs !== undefined)
      this.result.ready.statementsPerJoin = (readyCount - this.statementsAtSpawn) / o.nodes;
    if (this.result.ready.allReadyMs === undefined) {
      this.problem(
        `only ${this.result.ready.readyAtEnd}/${o.nodes} nodes Ready within ${o.budgets.readyMs / 1000} s (hollow: ${stats?.registered ?? '?'} registered, ${stats?.connected ?? '?'} connected)`,
      );
    } else {
      this.log(`all ${o.nodes} nodes Ready after ${(this.result.ready.allReadyMs / 1000).toFixed(1)} s`);
    }
    this.nodePollMs = 2_000;
  }

  private async phaseImage(): Promise<void> {
    this.check();
    const start = Date.now();
    const deadline = start + this.opts.budgets.imageMs;
    for (;;) {
      const r = await this.api('POST', '/api/v1/apply', scaleImage(), Math.max(1_000, deadline - Date.now())).catch((err: Error) => ({
        status: 0,
        body: err.message,
        at: Date.now(),
      }));
      if (r.status === 200 || r.status === 201) {
        this.log(`image "${IMAGE_NAME}" applied in ${Date.now() - start} ms`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`image apply failed: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      this.check();
      await this.sleep(1_000);
    }
  }

  private plan() {
    const o = this.opts;
    const p = planReservations(o.reservations, {
      startNowFraction: o.startNowFraction,
      now: Date.now(),
      nodes: o.nodes,
      coresPerNode: o.cores,
      memoryMiBPerNode: o.memoryGiB * 1024,
      seed: o.seed,
    });
    const startNow = p.items.filter((r) => r.startNow).length;
    this.result.plan = { startNow, future: p.items.length - startNow, horizonDays: p.horizonDays, peakConcurrent: p.peakConcurrent, peakCores: p.peakCores };
    if (!p.fits) this.problem(`the plan does not fit comfortably: peak ${p.peakConcurrent} concurrent reservations / ${p.peakCores} cores`);
    return p.items;
  }

  private async phaseApply(plan: PlannedReservation[]): Promise<void> {
    const o = this.opts;
    const a = this.result.apply;
    const latencies: number[] = [];
    let next = 0;
    let lastAnswer = 0;
    const countAtStart = await this.statementCount();
    const start = this.mark('applyStart');
    const stopSending = start + o.budgets.applyMs;
    this.log(`applying ${plan.length} reservations, ${o.inflight} in flight (budget ${o.budgets.applyMs / 1000} s)`);
    let progressAt = start;
    const record = (answer: string, message?: string) => {
      // A refusal must say why: a 409 without a message is counted apart.
      const status = answer === '409' && !message?.trim() ? '409 (no message)' : answer;
      a.byStatus[status] = (a.byStatus[status] ?? 0) + 1;
      if (status !== '201' && message) {
        const list = (a.samples[status] ??= []);
        const short = message.slice(0, 240);
        if (list.length < 3 && !list.includes(short)) list.push(short);
      }
    };
    let controllerGone = false;
    const worker = async () => {
      while (next < plan.length && !this.aborted && !controllerGone && Date.now() < stopSending) {
        const item = plan[next++];
        a.sent++;
        const t0 = performance.now();
        try {
          const r = await this.api('POST', '/api/v1/apply', item.manifest, o.budgets.applyRequestMs);
          latencies.push(performance.now() - t0);
          lastAnswer = Math.max(lastAnswer, r.at);
          if (r.status === 201) a.created++;
          const b = r.body as { error?: { code?: string; message?: string } } | string | undefined;
          const said = typeof b === 'string' ? b : b?.error?.message ? `${b.error.code}: ${b.error.message}` : '';
          record(String(r.status), said || (r.status === 201 || r.status === 409 ? '' : (JSON.stringify(b) ?? '')));
          this.applyStatus.set(item.name, r.status);
        } catch (err) {
          const e = err as Error;
          const kind = e.name === 'TimeoutError' ? 'timeout' : this.aborted ? 'interrupted' : 'error';
          lastAnswer = Math.max(lastAnswer, Date.now());
          record(kind, e.message);
        }
        if (Date.now() - progressAt >= 10_000) {
          progressAt = Date.now();
          this.log(`  ${a.sent}/${plan.length} sent, ${a.created} created, ${((Date.now() - start) / 1000).toFixed(0)} s`);
        }
      }
    };
    const ticker = setInterval(() => {
      try {
        this.check();
      } catch {
        controllerGone = true;
      }
    }, 1_000);
    try {
      await Promise.all(Array.from({ length: Math.max(1, o.inflight) }, worker));
    } finally {
      clearInterval(ticker);
    }
    a.notSent = plan.length - a.sent;
    const end = lastAnswer || Date.now();
    this.mark('lastApply', end);
    a.seconds = (end - start) / 1000;
    a.createdPerSecond = a.seconds > 0 ? a.created / a.seconds : 0;
    a.answersPerSecond = a.seconds > 0 ? latencies.length / a.seconds : 0;
    a.latencyMs = latencyOf(latencies);
    const countAtEnd = await this.statementCount('apply');
    if (countAtStart !== undefined && countAtEnd !== undefined && a.created > 0) a.statementsPerApply = (countAtEnd - countAtStart) / a.created;
    if (a.notSent > 0 && !this.aborted && !controllerGone)
      this.problem(`apply budget of ${o.budgets.applyMs / 1000} s ran out: ${a.notSent} of ${plan.length} reservations not sent`);
    const unclear = Object.entries(a.byStatus).filter(([s]) => s !== '201' && s !== '409' && s !== 'interrupted');
    if (unclear.length) this.problem(`applies answered other than 201/409: ${unclear.map(([s, n]) => `${n}x ${s}`).join(', ')}`);
    this.log(
      `applies done: ${a.created} created of ${a.sent} sent in ${a.seconds.toFixed(1)} s (${a.createdPerSecond.toFixed(0)}/s); ${JSON.stringify(a.byStatus)}`,
    );
    this.check();
  }

  private async listReservations(timeoutMs = 60_000): Promise<{ at: number; items: Array<{ metadata: { name: string } } & Conditioned> } | undefined> {
    try {
      const r = await this.api('GET', '/api/v1/reservations', undefined, timeoutMs);
      if (r.status !== 200) return undefined;
      return { at: r.at, items: (r.body as { items: Array<{ metadata: { name: string } } & Conditioned> }).items };
    } catch {
      return undefined;
    }
  }

  private async phaseRunning(plan: PlannedReservation[]): Promise<void> {
    const o = this.opts;
    const started = new Set(plan.filter((p) => p.startNow && this.applyStatus.get(p.name) === 201).map((p) => p.name));
    const r = this.result.running;
    r.expected = started.size;
    const lastApply = this.result.marks.lastApply;
    const deadline = Date.now() + o.budgets.runningMs;
    this.log(`waiting for ${started.size} started reservations to be Running (budget ${o.budgets.runningMs / 1000} s)`);
    let latestReady = 0;
    while (Date.now() < deadline) {
      this.check();
      const t0 = Date.now();
      const list = await this.listReservations(Math.max(5_000, deadline - Date.now()));
      if (list) {
        let running = 0,
          failed = 0;
        latestReady = 0;
        for (const item of list.items) {
          if (!started.has(item.metadata.name)) continue;
          if (runningReady(item)) {
            running++;
            const t = Date.parse(item.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime ?? '');
            if (Number.isFinite(t)) latestReady = Math.max(latestReady, t);
          } else if (item.status?.phase === 'Failed') failed++;
        }
        r.running = running;
        r.failed = failed;
        if (running + failed >= started.size) {
          if (failed === 0) {
            r.msAfterLastApply = Math.max(0, list.at - lastApply);
            r.stampMsAfterLastApply = Math.max(0, latestReady - lastApply);
          }
          break;
        }
      }
      await this.sleep(1_000 - (Date.now() - t0));
    }
    this.mark('allRunning');
    await this.statementCount('start');
    if (r.msAfterLastApply === undefined)
      this.problem(`started reservations: ${r.running}/${r.expected} Running, ${r.failed} Failed within ${o.budgets.runningMs / 1000} s after the last apply`);
    else
      this.log(
        `all ${r.expected} started reservations Running ${(r.msAfterLastApply / 1000).toFixed(1)} s after the last apply (controller stamps: ${(r.stampMsAfterLastApply! / 1000).toFixed(1)} s)`,
      );
  }

  private async phaseLoss(): Promise<void> {
    const o = this.opts;
    this.check();
    const list = await this.listReservations();
    if (!list) throw new Error('cannot list reservations before the node loss');
    const active = list.items.filter((i) => i.status?.node && !['Failed', 'Expired', 'Deleted'].includes(i.status.phase ?? ''));
    const running = new Set(active.filter(runningReady).map((i) => i.status!.node!));
    const holding = new Set(active.map((i) => i.status!.node!));
    const want = Math.max(1, Math.round(o.nodes * o.lossFraction));
    // Nodes holding started reservations, drawn at random (seeded); if too few, nodes holding
    // any reservation; then the others.
    const random = prng(o.seed + 1);
    const shuffled = (names: Iterable<string>) =>
      [...names]
        .sort()
        .map((n) => ({ n, k: random() }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.n);
    const holders = shuffled(running);
    const lost = [
      ...holders,
      ...shuffled([...holding].filter((n) => !running.has(n))),
      ...[...this.nodeReady.keys()].filter((n) => !holding.has(n)).sort(),
    ].slice(0, want);
    const lostSet = new Set(lost);
    const affected = active.filter((i) => lostSet.has(i.status!.node!));
    const startedAffected = new Set(affected.filter((i) => i.status?.phase === 'Running' || i.status?.phase === 'Starting').map((i) => i.metadata.name));
    const loss: NonNullable<ScaleResult['loss']> = {
      nodes: lost,
      startedAffected: startedAffected.size,
      futureAffected: affected.length - startedAffected.size,
      movedRunning: 0,
      movedFuture: 0,
      failed: 0,
      stillWaiting: affected.length,
    };
    this.result.loss = loss;
    this.log(
      `losing ${lost.length} nodes abruptly (${holders.length} hold started reservations): ${loss.startedAffected} started and ${loss.futureAffected} future reservations affected; node grace ${o.nodeGrace}`,
    );
    const t0 = this.mark('loss');
    for (const n of lost) this.stoppedAt.set(n, t0);
    await this.hollow!.stopNodes(lost);
    if (affected.length === 0) {
      // Still lost (the other nodes must not flap meanwhile), but there is nothing to time.
      this.mark('rescheduled');
      this.problem('node loss: the lost nodes held no reservations, so there was no rescheduling to time');
      return;
    }
    const deadline = t0 + this.result.nodeGraceMs + o.budgets.rescheduleExtraMs;
    const names = new Set(affected.map((i) => i.metadata.name));
    // The last list's reservations that had not moved, to say where each one was left.
    let waiting: Array<{ metadata: { name: string } } & Conditioned> = [];
    let lastProgress = t0;
    while (Date.now() < deadline) {
      this.check();
      const t = Date.now();
      const now = await this.listReservations(Math.max(5_000, deadline - Date.now()));
      if (now) {
        let movedRunning = 0,
          movedFuture = 0,
          failed = 0,
          stamp = 0;
        const stampOf = (i: Conditioned, type: string) => Date.parse(i.status?.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? '') || 0;
        waiting = [];
        for (const i of now.items) {
          if (!names.has(i.metadata.name)) continue;
          if (i.status?.phase === 'Failed') failed++;
          else if (i.status?.node && !lostSet.has(i.status.node) && !startedAffected.has(i.metadata.name)) {
            movedFuture++;
            stamp = Math.max(stamp, stampOf(i, 'Scheduled'));
          } else if (i.status?.node && !lostSet.has(i.status.node) && runningReady(i)) {
            movedRunning++;
            stamp = Math.max(stamp, stampOf(i, 'Ready'));
          } else waiting.push(i);
        }
        Object.assign(loss, { movedRunning, movedFuture, failed, stillWaiting: names.size - movedRunning - movedFuture - failed });
        if (loss.stillWaiting === 0) {
          loss.ms = now.at - t0;
          if (stamp > 0) loss.stampMs = stamp - t0;
          break;
        }
        if (t - lastProgress >= 10_000) {
          lastProgress = t;
          this.log(
            `  ${((t - t0) / 1000).toFixed(0)} s after the loss: ${movedRunning} started moved and Running, ${movedFuture} future moved, ${loss.stillWaiting} waiting`,
          );
        }
      }
      // Every 2 s: fine enough against a target of grace + 10 s, and the list is not free.
      await this.sleep(2_000 - (Date.now() - t));
    }
    this.mark('rescheduled');
    await this.statementCount('loss');
    if (loss.ms === undefined) {
      this.problem(`node loss: ${loss.stillWaiting} of ${names.size} reservations not moved within grace + ${o.budgets.rescheduleExtraMs / 1000} s`);
      for (const i of waiting.slice(0, 5)) {
        const ready = (i.status?.conditions ?? []).find((c) => c.type === 'Ready');
        this.log(
          `  not moved: ${i.metadata.name} phase=${i.status?.phase} node=${i.status?.node ?? '-'}${lostSet.has(i.status?.node ?? '') ? ' (lost)' : ''} Ready=${ready?.status}/${ready?.reason}: ${ready?.message ?? ''}`,
        );
      }
    } else
      this.log(
        `node loss handled in ${(loss.ms / 1000).toFixed(1)} s: ${loss.movedRunning} started moved and Running, ${loss.movedFuture} future moved, ${loss.failed} failed`,
      );
  }

  // -------------------------------------------------------------- figures and teardown

  private async collect(): Promise<void> {
    const r = this.result;
    const endOfPhases = Date.now();
    if (this.controller && this.controller.child.exitCode === null && !this.aborted) {
      // Patient: a controller in trouble is exactly when these tell the most.
      const ms = this.opts.budgets.finalReadMs;
      await Promise.all([this.fetchNodeEvents(undefined, ms).catch(() => undefined), this.finalNodes(ms).catch(() => undefined)]);
    }
    r.flaps.eventsReadAtEnd = this.eventsFetchedAt.some((t) => t >= endOfPhases);
    const from = r.marks.allReady;
    if (from !== undefined) {
      const times = [from, ...this.nodeListTimes.filter((t) => t > from), endOfPhases];
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
      r.flaps.longestUnobservedMs = gap;
      if (gap > r.nodeGraceMs && !r.flaps.eventsReadAtEnd && !r.flaps.nodesReadAtEnd) {
        this.problem(
          `node readiness went unobserved for ${sec(gap)} (GET /nodes slow or failing) and the final read of Node events failed: flaps may have gone unseen`,
        );
      }
    }
    this.backgroundStop = true;
    this.backgroundAbort.abort();
    if (this.hollow?.alive) this.hollowStats = await this.hollow.stats(10_000).catch(() => undefined);
    this.samples = await this.sampler?.stop();
    await bounded(Promise.allSettled(this.background), 20_000, 'background pollers').catch(() => undefined);

    for (const e of this.nodeEvents.values()) {
      if (e.reason !== 'NodeNotReady') continue;
      const stopped = this.stoppedAt.get(e.node);
      if (stopped === undefined || e.at < stopped) r.flaps.events.push({ node: e.node, at: e.at });
    }
    if (this.hollowStats) {
      const s = this.hollowStats;
      for (const n of Object.values(s.perNode)) {
        r.hollowConnections.reRegistrations += Math.max(0, n.registrations - 1);
        r.hollowConnections.streamLosses += n.streamLosses;
        if (!n.stopped && !n.connected) r.hollowConnections.disconnectedAtEnd++;
      }
      r.hollowConnections.lossReasons = s.lossReasons;
    }
    const s = this.samples;
    if (s) {
      const ctl = s.procs.controller ?? [];
      const hol = s.procs.hollow ?? [];
      if (ctl.length) {
        r.controller.peakRssBytes = Math.max(...ctl.map((x) => x.rssBytes));
        r.controller.cpuSeconds = ctl[ctl.length - 1].cpuSeconds - ctl[0].cpuSeconds;
        for (const [name, from, to] of this.phases()) r.controller.cpuByPhase[name] = cpuBetween(ctl, from, to) ?? NaN;
        // Where memory grows: with the nodes' streams (register), the reservations (apply) or later.
        r.controller.peakRssByPhase = {};
        for (const [name, from, to] of this.phases()) {
          const within = ctl.filter((x) => x.t >= from && x.t <= to).map((x) => x.rssBytes);
          if (within.length) r.controller.peakRssByPhase[name] = Math.max(...within);
        }
      }
      if (hol.length) {
        r.hollow.peakRssBytes = Math.max(...hol.map((x) => x.rssBytes));
        r.hollow.cpuSeconds = hol[hol.length - 1].cpuSeconds - hol[0].cpuSeconds;
        for (const [name, from, to] of this.phases()) r.hollow.cpuByPhase[name] = cpuBetween(hol, from, to) ?? NaN;
      }
      const ok = s.probes
        .filter((p) => p.ms !== undefined)
        .map((p) => p.ms!)
        .sort((a, b) => a - b);
      const failed = s.probes.filter((p) => p.ms === undefined);
      r.healthz = {
        probes: s.probes.length,
        failures: failed.length,
        p50: ok.length ? percentile(ok, 50) : undefined,
        p99: ok.length ? percentile(ok, 99) : undefined,
        maxMs: ok.length ? ok[ok.length - 1] : undefined,
        failureSamples: [...new Set(failed.map((p) => p.error ?? ''))].slice(0, 3),
        maxByPhase: {},
      };
      for (const [name, from, to] of this.phases()) {
        // A probe belongs to the phase it was sent in; a failed one counts as its timeout.
        const inPhase = s.probes.filter((p) => p.t >= from && p.t < to).map((p) => p.ms ?? Infinity);
        if (inPhase.length) r.healthz.maxByPhase[name] = Math.max(...inPhase);
      }
    }
  }

  private async finalNodes(timeoutMs: number): Promise<void> {
    const { status, body } = await this.api('GET', '/api/v1/nodes', undefined, timeoutMs);
    if (status !== 200) return;
    const allReady = this.result.marks.allReady;
    this.result.flaps.nodesReadAtEnd = true;
    if (allReady === undefined) return;
    for (const n of (body as { items: Array<{ metadata: { name: string } } & Conditioned> }).items) {
      const name = n.metadata.name;
      if (this.stoppedAt.has(name) || this.nodeReady.get(name) === undefined) continue;
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      const changed = Date.parse(ready?.lastTransitionTime ?? '');
      if (ready?.status !== 'True' || (Number.isFinite(changed) && changed > allReady)) {
        this.result.flaps.final.push({ node: name, at: Number.isFinite(changed) ? changed : Date.now() });
      }
    }
  }

  /** [name, from, to] of the phases that ran, from the marks. */
  private phases(): Array<[string, number, number]> {
    const m = this.result.marks;
    const all: Array<[string, string, string]> = [
      ['register', 'hollowSpawned', 'allReady'],
      ['apply', 'applyStart', 'lastApply'],
      ['start', 'lastApply', 'allRunning'],
      ['loss', 'loss', 'rescheduled'],
    ];
    return all.filter(([, from, to]) => m[from] !== undefined && m[to] !== undefined).map(([name, from, to]) => [name, m[from], m[to]]);
  }

  /** Idempotent; bounded in time. Stops both processes and removes NAT chains, database, data dir. */
  teardown(): Promise<void> {
    this.tearingDown ??= (async () => {
      this.backgroundStop = true;
      this.backgroundAbort.abort();
      const step = async (what: string, fn: () => Promise<unknown>, ms: number) => {
        try {
          await bounded(fn(), ms, what);
        } catch (err) {
          this.problem(`teardown: ${what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      await step('sampler', async () => this.sampler?.stop(), 10_000);
      await step('hollow agents', async () => this.hollow?.shutdown(10_000), 25_000);
      await step(
        'controller',
        async () => {
          const c = this.controller;
          if (!c) {
            if (this.dataDir) await killProcessesWithArg(this.dataDir);
            return;
          }
          const exited = c.stop('SIGTERM');
          const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000).unref())]);
          if (!gone) {
            c.child.kill('SIGKILL');
            await exited;
          }
        },
        30_000,
      );
      if (this.result.nat === 'iptables') {
        await step('NAT chains', () => new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: this.chainPrefix }).teardown(), 60_000);
      }
      if (this.pgDatabase)
        await step('PostgreSQL database', () => this.pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${this.pgDatabase} WITH (FORCE)`)), 30_000);
      if (this.dataDir) await step('data dir', () => removeDir(this.dataDir!), 30_000);
    })();
    return this.tearingDown;
  }
}

/** A controller that never became ready is left running by startController; it is ours by its data dir. */
async function killProcessesWithArg(arg: string): Promise<void> {
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (Number(pid) !== process.pid && cmdline.split('\0').includes(arg)) process.kill(Number(pid), 'SIGKILL');
  }
}

export async function runScale(opts: ScaleOptions): Promise<ScaleResult> {
  return new ScaleRun(opts).run();
}

// ------------------------------------------------------------------ report

/** The issue's targets: SQLite at 200 nodes / 4,000 reservations, PostgreSQL at 1,000 / 10,000. */
export const TARGETS = {
  sqlite: { size: '200 nodes / 4,000 res.', appliesPerSecond: 150, flaps: 0, healthzMaxMs: 500 },
  postgresql: {
    size: '1,000 nodes / 10,000 res.',
    allReadyMs: 15_000,
    appliesPerSecond: 200,
    runningMs: 5_000,
    rescheduleBeyondGraceMs: 10_000,
    rssBytes: 400e6,
  },
} as const;

const sec = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(1)} s`);
const msf = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${ms.toFixed(0)} ms`);
const mb = (b: number | undefined) => (b === undefined ? '-' : `${(b / 1e6).toFixed(0)} MB`);

export function formatScaleReport(r: ScaleResult): string {
  const o = r.options;
  const T = TARGETS;
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ok' : ' MISS');
  const flapCount = new Set([...r.flaps.polled, ...r.flaps.events, ...r.flaps.final].map((f) => f.node)).size;
  const a = r.apply;
  const rows: Array<[string, string, string, string]> = [];
  const row = (metric: string, value: string, sqlite = '', postgres = '') => rows.push([metric, value, sqlite, postgres]);
  const rescheduleOk =
    !r.loss || r.loss.startedAffected + r.loss.futureAffected === 0
      ? undefined
      : r.loss.ms !== undefined && r.loss.failed === 0
        ? r.loss.ms <= r.nodeGraceMs + T.postgresql.rescheduleBeyondGraceMs
        : false;

  row(
    'all nodes Ready (from hollow start)',
    r.ready.allReadyMs !== undefined ? sec(r.ready.allReadyMs) : `${r.ready.readyAtEnd}/${o.nodes} Ready`,
    '',
    `<= 15 s${verdict(r.ready.allReadyMs !== undefined ? r.ready.allReadyMs <= T.postgresql.allReadyMs : false)}`,
  );
  row('  hollow view: all registered', sec(r.ready.hollowAllRegisteredMs));
  row('  store statements per node join', r.ready.statementsPerJoin !== undefined ? r.ready.statementsPerJoin.toFixed(1) : '-');
  row(
    'applies/s (201 per second)',
    `${a.createdPerSecond.toFixed(1)}/s`,
    `>= 150/s${verdict(a.createdPerSecond >= T.sqlite.appliesPerSecond)}`,
    `>= 200/s${verdict(a.createdPerSecond >= T.postgresql.appliesPerSecond)}`,
  );
  row('  answers/s (any status)', `${a.answersPerSecond.toFixed(1)}/s`);
  row('  store statements per apply (all work)', a.statementsPerApply !== undefined ? a.statementsPerApply.toFixed(1) : '-');
  row(`  sent / planned (${o.inflight} in flight)`, `${a.sent} / ${a.planned}${a.notSent ? ` (${a.notSent} not sent)` : ''}`);
  row(
    '  answers by status',
    Object.entries(a.byStatus)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ') || '-',
  );
  row('  apply latency p50 / p95', a.latencyMs ? `${msf(a.latencyMs.p50)} / ${msf(a.latencyMs.p95)}` : '-');
  row('  apply latency p99 / max', a.latencyMs ? `${msf(a.latencyMs.p99)} / ${msf(a.latencyMs.max)}` : '-');
  row(
    'started Running after last apply',
    r.running.msAfterLastApply !== undefined ? sec(r.running.msAfterLastApply) : `${r.running.running}/${r.running.expected} (${r.running.failed} Failed)`,
    '',
    `<= 5 s${verdict(r.running.msAfterLastApply !== undefined ? r.running.msAfterLastApply <= T.postgresql.runningMs : false)}`,
  );
  row('  controller stamps: last Ready - last apply', sec(r.running.stampMsAfterLastApply));
  if (r.loss) {
    const affected = r.loss.startedAffected + r.loss.futureAffected;
    row(
      `rescheduled after losing ${r.loss.nodes.length} nodes`,
      affected === 0 ? 'nothing to move' : r.loss.ms !== undefined ? sec(r.loss.ms) : `not done (${r.loss.stillWaiting} waiting)`,
      '',
      `<= grace+10 s = ${sec(r.nodeGraceMs + T.postgresql.rescheduleBeyondGraceMs)}${verdict(rescheduleOk)}`,
    );
    if (r.loss.stampMs !== undefined) row('  controller stamps: last moved - loss', sec(r.loss.stampMs));
    row('  node grace (BERTH_NODE_GRACE)', `${o.nodeGrace}`);
    row('  started moved+Running / affected', `${r.loss.movedRunning} / ${r.loss.startedAffected}`);
    row('  future moved / affected', `${r.loss.movedFuture} / ${r.loss.futureAffected}`);
    row('  Failed (counted apart)', String(r.loss.failed));
  }
  row(
    'controller peak RSS',
    mb(r.controller.peakRssBytes),
    '',
    `<= 400 MB${verdict(r.controller.peakRssBytes !== undefined ? r.controller.peakRssBytes <= T.postgresql.rssBytes : undefined)}`,
  );
  row(
    '  peak RSS by phase',
    Object.entries(r.controller.peakRssByPhase ?? {})
      .map(([k, v]) => `${k} ${mb(v)}`)
      .join(', ') || '-',
  );
  row('controller CPU', r.controller.cpuSeconds !== undefined ? `${r.controller.cpuSeconds.toFixed(1)} s` : '-');
  row(
    '  by phase',
    Object.entries(r.controller.cpuByPhase)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ') || '-',
  );
  // A probe that timed out is slower than any that answered: the max is then the timeout, at least.
  const healthzMax = r.healthz.failures > 0 ? `>= ${PROBE_TIMEOUT_MS} ms (${r.healthz.failures} failed)` : msf(r.healthz.maxMs);
  row(
    '/healthz max',
    healthzMax,
    `< 500 ms${verdict(r.healthz.maxMs !== undefined ? r.healthz.maxMs < T.sqlite.healthzMaxMs && r.healthz.failures === 0 : undefined)}`,
  );
  row('  /healthz p50 / p99', `${msf(r.healthz.p50)} / ${msf(r.healthz.p99)}`);
  row(
    '  /healthz max by phase',
    Object.entries(r.healthz.maxByPhase)
      .map(([k, v]) => `${k} ${Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'failed'}`)
      .join(', ') || '-',
  );
  row(
    '  controller event-loop delay max',
    Object.entries(r.loopDelayMaxByPhase)
      .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
      .join(', ') || '-',
  );
  row(
    '  /healthz probes / failed',
    `${r.healthz.probes} / ${r.healthz.failures}${r.healthz.failureSamples.length ? ` (${r.healthz.failureSamples.join('; ')})` : ''}`,
  );
  const flapsMeasured = r.marks.allReady !== undefined;
  row('node flaps (NotReady, not stopped)', flapsMeasured ? `${flapCount} nodes` : 'not measured', `0${verdict(flapsMeasured ? flapCount === 0 : undefined)}`);
  row(
    '  polled transitions / NodeNotReady events',
    `${r.flaps.polled.length} / ${r.flaps.events.length}${r.flaps.eventsReadAtEnd ? '' : ' (events not read at the end)'}`,
  );
  row('  flipped since all Ready (last GET /nodes)', r.flaps.nodesReadAtEnd ? `${r.flaps.final.length} nodes` : 'not read');
  row('  longest stretch without GET /nodes', sec(r.flaps.longestUnobservedMs));
  row('hollow re-registrations / stream losses', `${r.hollowConnections.reRegistrations} / ${r.hollowConnections.streamLosses}`);
  row('  hollow nodes disconnected at the end', `${r.hollowConnections.disconnectedAtEnd}`);
  row('hollow process peak RSS / CPU', `${mb(r.hollow.peakRssBytes)} / ${r.hollow.cpuSeconds !== undefined ? `${r.hollow.cpuSeconds.toFixed(1)} s` : '-'}`);
  row(
    '  hollow CPU by phase',
    Object.entries(r.hollow.cpuByPhase)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ') || '-',
  );

  const head: [string, string, string, string] = ['metric', 'measured', `target SQLite ${T.sqlite.size}`, `target PostgreSQL ${T.postgresql.size}`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  const out = [
    `Berth control-plane scale: ${o.nodes} hollow nodes (${o.cores} cores / ${o.memoryGiB} GiB), ${o.reservations} reservations ` +
      `(${r.plan.startNow} start now, ${r.plan.future} over ${r.plan.horizonDays} days; peak ${r.plan.peakConcurrent} concurrent), store ${o.store}, NAT ${r.nat ?? '?'}, ${os.cpus().length} CPUs`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...rows.map(line),
  ];
  for (const [status, samples] of Object.entries(a.samples)) out.push(`  ${status} e.g.: ${samples.join(' | ')}`);
  const reasons = Object.entries(r.hollowConnections.lossReasons)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5);
  if (reasons.length) out.push(`  stream losses by reason: ${reasons.map(([k, n]) => `${n}x ${k}`).join('; ')}`);
  if (r.problems.length) out.push('problems:', ...r.problems.map((p) => `  - ${p.split('\n')[0]}`));
  if (r.interrupted) out.push('(interrupted: figures are partial)');
  return out.join('\n');
}

/** One JSON line with the headline figures, as the other benches end. */
/** The BENCH line; `extra` adds the caller's own fields (e.g. the machine reference). */
export function summaryLine(r: ScaleResult, extra: Record<string, unknown> = {}): string {
  return `BENCH ${JSON.stringify({
    nodes: r.options.nodes,
    reservations: r.options.reservations,
    store: r.options.store,
    inflight: r.options.inflight,
    all_ready_ms: r.ready.allReadyMs ?? null,
    statements_per_join: r.ready.statementsPerJoin !== undefined ? Number(r.ready.statementsPerJoin.toFixed(1)) : null,
    statements_per_apply: r.apply.statementsPerApply !== undefined ? Number(r.apply.statementsPerApply.toFixed(1)) : null,
    ready_at_end: r.ready.readyAtEnd,
    applies_per_s: Number(r.apply.createdPerSecond.toFixed(1)),
    apply_status: r.apply.byStatus,
    not_sent: r.apply.notSent,
    apply_p50_ms: r.apply.latencyMs ? Math.round(r.apply.latencyMs.p50) : null,
    apply_p99_ms: r.apply.latencyMs ? Math.round(r.apply.latencyMs.p99) : null,
    apply_max_ms: r.apply.latencyMs ? Math.round(r.apply.latencyMs.max) : null,
    running_after_last_apply_ms: r.running.msAfterLastApply ?? null,
    running: `${r.running.running}/${r.running.expected}`,
    reschedule_ms: r.loss?.ms ?? null,
    reschedule_stamp_ms: r.loss?.stampMs ?? null,
    node_grace_ms: r.nodeGraceMs,
    loss_failed: r.loss?.failed ?? null,
    peak_rss_mb: r.controller.peakRssBytes ? Math.round(r.controller.peakRssBytes / 1e6) : null,
    cpu_s: r.controller.cpuSeconds !== undefined ? Number(r.controller.cpuSeconds.toFixed(1)) : null,
    healthz_max_ms: r.healthz.failures > 0 ? PROBE_TIMEOUT_MS : r.healthz.maxMs !== undefined ? Math.round(r.healthz.maxMs) : null,
    healthz_p99_ms: r.healthz.p99 !== undefined ? Math.round(r.healthz.p99) : null,
    healthz_failures: r.healthz.failures,
    flapped_nodes: new Set([...r.flaps.polled, ...r.flaps.events, ...r.flaps.final].map((f) => f.node)).size,
    hollow_reregistrations: r.hollowConnections.reRegistrations,
    hollow_stream_losses: r.hollowConnections.streamLosses,
    hollow_disconnected_at_end: r.hollowConnections.disconnectedAtEnd,
    longest_unobserved_ms: r.flaps.longestUnobservedMs ?? null,
    problems: r.problems.length,
    interrupted: r.interrupted,
    ...extra,
  })}`;
}
