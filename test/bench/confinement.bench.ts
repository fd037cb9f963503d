// What each part of a container's confinement costs at start: create + start of the test image on
// the local engine, plain, with the hardening options, on a tenant network, and with both; the
// variants alternate so machine load weighs on all equally. Also the per-container price of the
// disk-use check (inspect with size). Reports; does not assert. `npx tsx test/bench/confinement.bench.ts`.
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import type { ContainerSpec } from '@berth/proto';
import { hardenedHostConfig } from '../../agent/src/runtime/hardening.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const IMAGE = 'berth-test/httpd:1';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = `bench-${process.pid}`;
const network = `berth-b${process.pid.toString(16).slice(-8)}`.slice(0, 15);
const spec = { memoryBytes: 64 * 1048576, pidsLimit: 512 } as ContainerSpec;

type Variant = { name: string; host: Docker.HostConfig };
const variants: Variant[] = [
  { name: 'plain (default bridge)', host: {} },
  { name: 'hardening options', host: { ...hardenedHostConfig(spec, undefined) } },
  { name: 'tenant network', host: { NetworkMode: network } },
  { name: 'hardening + tenant network', host: hardenedHostConfig(spec, network) },
];

async function startOnce(v: Variant): Promise<number> {
  const t0 = performance.now();
  const c = await docker.createContainer({ Image: IMAGE, Labels: { 'berth.bench': tag }, HostConfig: { Memory: 64 * 1048576, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, ...v.host }, ExposedPorts: { '80/tcp': {} } });
  await c.start();
  const ms = performance.now() - t0;
  await c.remove({ force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await docker.createNetwork({ Name: network, Driver: 'bridge', Options: { 'com.docker.network.bridge.name': network }, Labels: { 'berth.bench': tag } });
  try {
    const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
    for (const v of variants) await startOnce(v); // warm-up
    for (let i = 0; i < RUNS; i++) for (const v of variants) samples.get(v.name)!.push(await startOnce(v));
    console.log(`create + start, ${RUNS} runs each (alternating), median ms:`);
    for (const [name, xs] of samples) console.log(`  ${name.padEnd(28)} ${median(xs).toFixed(0).padStart(5)}`);
    const c = await docker.createContainer({ Image: IMAGE, Labels: { 'berth.bench': tag }, HostConfig: { Memory: 64 * 1048576, ...hardenedHostConfig(spec, network) } });
    await c.start();
    const sized: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await c.inspect({ size: true } as never);
      sized.push(performance.now() - t0);
    }
    const plain: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await c.inspect();
      plain.push(performance.now() - t0);
    }
    console.log(`disk-use check per container: inspect with size ${median(sized).toFixed(1)} ms vs plain inspect ${median(plain).toFixed(1)} ms`);
    await c.remove({ force: true });
  } finally {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.bench=${tag}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
  }
}

await main();
