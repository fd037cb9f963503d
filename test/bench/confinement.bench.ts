// What each part of a container's confinement costs at start: create + start of the test image on
// the local engine, plain, with the hardening options, on a tenant network (as the agent creates
// it, and with options that might have changed what the engine does per container), and with
// both; the variants alternate so machine load weighs on all equally. Also the per-container price
// of the disk-use check (inspect with size). Reports; does not assert.
// `npx tsx test/bench/confinement.bench.ts` (BENCH_RUNS, default 15).
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import type { ContainerSpec } from '@berth/proto';
import { hardenedHostConfig } from '../../agent/src/runtime/hardening.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const IMAGE = 'berth-test/httpd:1';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = `bench-${process.pid}`;
const spec = { memoryBytes: 64 * 1048576, pidsLimit: 512 } as ContainerSpec;

/** Bridge networks to try: the agent's own options, then each with one more. */
const NETWORKS: Record<string, Record<string, string>> = {
  tenant: { 'com.docker.network.bridge.enable_icc': 'true' },
  'no-icc': { 'com.docker.network.bridge.enable_icc': 'false' },
  mtu: { 'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.driver.mtu': '1500' },
  'no-masq': { 'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
};
/** Bridge interface names have at most 15 characters. */
const networkName = (key: string) => `berth-b${key.replace('-', '')}${process.pid.toString(16)}`.slice(0, 15);

type Variant = { name: string; host: Docker.HostConfig };
const variants: Variant[] = [
  { name: 'plain (default bridge)', host: {} },
  { name: 'hardening options', host: { ...hardenedHostConfig(spec, undefined) } },
  { name: 'tenant network', host: { NetworkMode: networkName('tenant') } },
  { name: 'tenant network, ICC off', host: { NetworkMode: networkName('no-icc') } },
  { name: 'tenant network, MTU set', host: { NetworkMode: networkName('mtu') } },
  { name: 'tenant network, no masq.', host: { NetworkMode: networkName('no-masq') } },
  { name: 'hardening + tenant network', host: hardenedHostConfig(spec, networkName('tenant')) },
];

async function startOnce(v: Variant): Promise<{ create: number; start: number }> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: IMAGE,
    Labels: { 'berth.bench': tag },
    HostConfig: { Memory: 64 * 1048576, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, ...v.host },
    ExposedPorts: { '80/tcp': {} },
  });
  const t1 = performance.now();
  await c.start();
  const t2 = performance.now();
  await c.remove({ force: true });
  return { create: t1 - t0, start: t2 - t1 };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => sorted(xs)[Math.ceil(0.9 * xs.length) - 1];

async function createNetworks(): Promise<void> {
  for (const [key, options] of Object.entries(NETWORKS)) {
    const name = networkName(key);
    const t0 = performance.now();
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Options: { 'com.docker.network.bridge.name': name, ...options },
      Labels: { 'berth.bench': tag },
    });
    console.log(`network create (${key}): ${(performance.now() - t0).toFixed(0)} ms`);
  }
}

async function measureStarts(): Promise<void> {
  const samples = new Map(variants.map((v) => [v.name, { create: [] as number[], start: [] as number[] }]));
  for (const v of variants) await startOnce(v); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const v of variants) {
      const r = await startOnce(v);
      samples.get(v.name)!.create.push(r.create);
      samples.get(v.name)!.start.push(r.start);
    }
  }
  console.log(`create, start: ${RUNS} runs each (alternating), median / p90 ms:`);
  for (const [name, x] of samples) {
    console.log(
      `  ${name.padEnd(28)} create ${median(x.create).toFixed(0).padStart(4)} / ${p90(x.create).toFixed(0).padStart(4)}   start ${median(x.start).toFixed(0).padStart(4)} / ${p90(x.start).toFixed(0).padStart(4)}`,
    );
  }
}

async function measureDiskCheck(): Promise<void> {
  const c = await docker.createContainer({
    Image: IMAGE,
    Labels: { 'berth.bench': tag },
    HostConfig: { Memory: 64 * 1048576, ...hardenedHostConfig(spec, networkName('tenant')) },
  });
  await c.start();
  const timed = async (fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await fn();
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  const sized = await timed(() => c.inspect({ size: true } as never) as unknown as Promise<unknown>);
  const plain = await timed(() => c.inspect());
  console.log(`disk-use check per container: inspect with size ${sized.toFixed(1)} ms vs plain inspect ${plain.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  try {
    await createNetworks();
    await measureStarts();
    await measureDiskCheck();
  } finally {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.bench=${tag}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const key of Object.keys(NETWORKS))
      await docker
        .getNetwork(networkName(key))
        .remove()
        .catch(() => undefined);
  }
}

await main();
