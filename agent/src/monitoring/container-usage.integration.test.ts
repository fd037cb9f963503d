// The usage the Containers page shows, read from a real engine: an idle service's memory is a few
// hundred KiB (not nothing), and a container that spins shows its CPU.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTPD_IMAGE, SLEEPER_IMAGE, ensureEngineAndImages, removeNodeContainers, uniqueName } from '../runtime/engine.testkit.ts';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import { ContainerUsageSampler } from './container-usage.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const node = uniqueName('usage');
const observed: ObservedContainer[] = [];

async function run(reservationId: string, image: string, cmd?: string[]): Promise<void> {
  const c = await docker.createContainer({
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    Labels: { 'berth.node': node, 'berth.reservation': reservationId },
    HostConfig: { NanoCpus: 500_000_000, Memory: 64 * 1048576 },
  });
  await c.start();
  observed.push({
    id: c.id,
    name: reservationId,
    image,
    reservationId,
    generation: 1,
    specHash: '',
    state: 'running',
    health: 'none',
    restartCount: 0,
    startedAtMs: Date.now(),
  } as ObservedContainer);
}

beforeAll(async () => {
  await ensureEngineAndImages();
  await run('idle', HTTPD_IMAGE);
  await run('busy', SLEEPER_IMAGE, ['/bin/sh', '-c', 'while :; do :; done']);
}, 60_000);

afterAll(() => removeNodeContainers(node));

describe('ContainerUsageSampler against the engine', () => {
  it('reports non-zero memory for a running idle service and CPU for a busy one', async () => {
    const sampler = new ContainerUsageSampler(docker, async () => observed);
    await sampler.sample();
    const usage = sampler.current();
    expect([...usage.keys()].sort()).toEqual(['busy', 'idle']);
    expect(usage.get('idle')!.memoryBytes).toBeGreaterThan(0);
    expect(usage.get('idle')!.memoryBytes).toBeLessThan(64 * 1048576);
    expect(usage.get('busy')!.memoryBytes).toBeGreaterThan(0);
    // Limited to half a core: a spinning shell uses most of it.
    expect(usage.get('busy')!.cpuPercent).toBeGreaterThan(10);
    expect(usage.get('busy')!.cpuPercent).toBeLessThan(80);
  });
});
