// What the pool of spare tenant networks saves on a new customer's first container: the agent's
// converge loop on the local engine, from a desired set naming a new tenant to its container
// started, with the pool (a spare is ready) and without (the network is created on the path). The
// two alternate, so machine load weighs on both; the cost is the median of per-round differences.
// Reports; does not assert. `npx tsx test/bench/spare-networks.bench.ts` (BENCH_RUNS, default 15).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import type { ContainerSpec } from '@berth/proto';
import { ConvergeLoop } from '../../agent/src/converge/converge-loop.ts';
import { DockerNetworks, PooledNetworks, type TenantNetworkHost } from '../../agent/src/network/index.ts';
import { DockerRuntime } from '../../agent/src/runtime/docker-runtime.ts';
import { removeNodeContainers } from '../../agent/src/runtime/engine.testkit.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

interface Rig {
  label: string;
  nodeName: string;
  loop: ConvergeLoop;
  runtime: DockerRuntime;
  host: TenantNetworkHost;
}

function rig(label: string, pooled: boolean, stateDir: string): Rig {
  const nodeName = `spare-${label}-${process.pid}`;
  const runtime = new DockerRuntime({ nodeName, dockerHost: 'unix:///var/run/docker.sock' });
  const plain = new DockerNetworks(docker, nodeName);
  const host = pooled ? new PooledNetworks({ networks: plain, stateFile: path.join(stateDir, `${label}.json`) }) : plain;
  // No lingering: each round's tenant network goes once its container has.
  const loop = new ConvergeLoop({ runtime, onReport: () => undefined, networks: { host, lingerMs: 0 } });
  return { label, nodeName, loop, runtime, host };
}

function spec(r: Rig, round: number): ContainerSpec {
  return {
    reservationId: `${r.label}-${round}`,
    generation: 1,
    name: `berth-${r.nodeName}-${round}`,
    image: 'berth-test/httpd:1',
    cpus: 0.5,
    memoryBytes: 64 * 1048576,
    ports: [],
    env: {},
    profile: 'ephemeral',
    dataPath: '',
    tenant: `customer-${r.label}-${round}`,
  };
}

/** desired set with a new tenant -> its container started; then it is removed again. */
async function measure(r: Rig, round: number): Promise<number> {
  if (r.host.refill) await r.host.refill(); // as a running agent has it a second after any pass
  const t0 = performance.now();
  await r.loop.setDesired({ version: round * 2 + 1, containers: [spec(r, round)] });
  const took = performance.now() - t0;
  const [c] = await r.runtime.listManaged();
  if (c?.state !== 'running') throw new Error(`${r.label}: container not running (${c?.state ?? 'none'})`);
  await r.loop.setDesired({ version: round * 2 + 2, containers: [] });
  return took;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-spares-'));
  const rigs = [rig('pool', true, stateDir), rig('nopool', false, stateDir)];
  for (const r of rigs) if (r.host instanceof PooledNetworks) await r.host.load();
  const samples = new Map(rigs.map((r) => [r.label, [] as number[]]));
  try {
    for (let i = 0; i <= RUNS; i++) {
      const line: string[] = [];
      for (const r of rigs) {
        const ms = await measure(r, i);
        if (i > 0) samples.get(r.label)!.push(ms); // round 0 warms up
        line.push(`${r.label} ${ms.toFixed(0)}`);
      }
      console.error(`${i === 0 ? 'warm-up' : `run ${i}/${RUNS}`}: ${line.join(', ')} ms`);
    }
  } finally {
    for (const r of rigs) {
      await r.loop.stop();
      await removeNodeContainers(r.nodeName);
    }
    await rm(stateDir, { recursive: true, force: true });
  }
  const pool = samples.get('pool')!;
  const nopool = samples.get('nopool')!;
  console.log(`new tenant's first container, desired set -> started (agent converge loop, local engine), ${RUNS} rounds:`);
  console.log(`  with a spare network   median ${median(pool).toFixed(0)} ms`);
  console.log(`  network created        median ${median(nopool).toFixed(0)} ms`);
  console.log(`  the pool saves (median of per-round differences) ${median(nopool.map((x, i) => x - pool[i])).toFixed(0)} ms`);
}

await main();
process.exit(0);
