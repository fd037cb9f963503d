// Samples processes' memory and CPU from /proc and probes an HTTP health endpoint, on a worker
// thread: the driver's own event loop (parsing large lists, many applies in flight) must not
// delay the probes and so inflate the latency it reports for the server.
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';

export interface ProcSample {
  /** Epoch ms. */
  t: number;
  rssBytes: number;
  /** utime + stime of the process so far, in seconds. */
  cpuSeconds: number;
}

export interface ProbeSample {
  /** Epoch ms the probe was sent. */
  t: number;
  /** Time to the full answer; undefined when it failed. */
  ms?: number;
  error?: string;
}

export interface SamplerResult {
  procs: Record<string, ProcSample[]>;
  probes: ProbeSample[];
}

export interface SamplerOptions {
  /** label -> pid, read every `procIntervalMs` from /proc/PID/{status,stat}. */
  pids: Record<string, number>;
  procIntervalMs?: number;
  /** http(s)://host:port/path probed every `probeIntervalMs` (one at a time, fresh connection each). */
  probeUrl?: string;
  /** PEM CA an https probeUrl is verified with. */
  probeCa?: string;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
}

// Plain JavaScript: an eval'd worker does not go through the TypeScript loader.
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { pids, procIntervalMs, probeUrl, probeCa, probeIntervalMs, probeTimeoutMs, clkTck } = workerData;
const procs = {};
for (const label of Object.keys(pids)) procs[label] = [];
const probes = [];
let stopped = false;

function readProc(pid) {
  try {
    const status = fs.readFileSync('/proc/' + pid + '/status', 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime is field 14, stime field 15.
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { rssBytes: m ? Number(m[1]) * 1024 : 0, cpuSeconds: ticks / clkTck };
  } catch {
    return undefined; // gone
  }
}
function sampleProcs() {
  const t = Date.now();
  for (const [label, pid] of Object.entries(pids)) {
    const s = readProc(pid);
    if (s) procs[label].push({ t, rssBytes: s.rssBytes, cpuSeconds: s.cpuSeconds });
  }
}
const procTimer = setInterval(sampleProcs, procIntervalMs);
sampleProcs();

let inFlight = false;
function probe() {
  if (!probeUrl || inFlight || stopped) return;
  inFlight = true;
  const t = Date.now();
  const start = process.hrtime.bigint();
  let done = false;
  const finish = (error) => {
    if (done) return;
    done = true;
    inFlight = false;
    probes.push(error ? { t, error } : { t, ms: Number(process.hrtime.bigint() - start) / 1e6 });
  };
  // A fresh connection each time: over HTTPS the probe includes the TLS handshake, as a new client's would.
  const get = probeUrl.startsWith('https:') ? https.get : http.get;
  const req = get(probeUrl, { agent: false, timeout: probeTimeoutMs, ca: probeCa }, (res) => {
    res.resume();
    res.on('end', () => finish(res.statusCode === 200 ? undefined : 'HTTP ' + res.statusCode));
    res.on('error', (e) => finish(e.message));
  });
  req.on('timeout', () => { req.destroy(new Error('timeout after ' + probeTimeoutMs + ' ms')); });
  req.on('error', (e) => finish(e.message));
}
const probeTimer = probeUrl ? setInterval(probe, probeIntervalMs) : undefined;

parentPort.on('message', (m) => {
  if (m === 'snapshot') parentPort.postMessage({ procs, probes });
  if (m === 'stop') {
    stopped = true;
    clearInterval(procTimer);
    if (probeTimer) clearInterval(probeTimer);
    sampleProcs();
    parentPort.postMessage({ procs, probes });
  }
});
`;

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export class ProcessSampler {
  private readonly worker: Worker;
  private result?: Promise<SamplerResult>;

  constructor(opts: SamplerOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pids: opts.pids,
        procIntervalMs: opts.procIntervalMs ?? 250,
        probeUrl: opts.probeUrl,
        probeCa: opts.probeCa,
        probeIntervalMs: opts.probeIntervalMs ?? 100,
        probeTimeoutMs: opts.probeTimeoutMs ?? 10_000,
        clkTck: clockTicks(),
      },
    });
    this.worker.unref();
  }

  private ask(message: 'snapshot' | 'stop'): Promise<SamplerResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sampler did not answer')), 5_000);
      this.worker.once('message', (r: SamplerResult) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.worker.postMessage(message);
    });
  }

  snapshot(): Promise<SamplerResult> {
    return this.ask('snapshot');
  }

  /** Stops sampling and returns everything; later calls return the same. */
  stop(): Promise<SamplerResult> {
    this.result ??= this.ask('stop')
      .catch(() => ({ procs: {}, probes: [] }))
      .finally(() => void this.worker.terminate());
    return this.result;
  }
}

/** CPU seconds the process spent between two instants (from the nearest samples). */
export function cpuBetween(samples: ProcSample[], from: number, to: number): number | undefined {
  if (samples.length === 0) return undefined;
  const at = (t: number) => {
    let best = samples[0];
    for (const s of samples) if (s.t <= t) best = s;
    return best.cpuSeconds;
  };
  return at(to) - at(from);
}
