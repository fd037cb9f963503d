import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import type { ContainerReport, ContainerSpec, DesiredState } from '@berth/proto';
import { ConvergeLoop } from '../converge/converge-loop.ts';
import { planConverge } from '../converge/plan.ts';
import { HTTPD_IMAGE, SLEEPER_IMAGE, ensureEngineAndImages, freePort, httpBody, removeNodeContainers, uniqueName, waitFor } from './engine.testkit.ts';
import { DockerRuntime } from './docker-runtime.ts';
import { CONTAINER_CAPABILITIES } from './hardening.ts';

// Kernel capability numbers (linux/capability.h) of the names Berth keeps.
const CAP_BITS: Record<string, number> = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10, NET_RAW: 13 };
const capMask = (caps: readonly string[]) =>
  caps
    .reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n)
    .toString(16)
    .padStart(16, '0');

/** Runs argv inside the container; resolves to stdout and stderr together, whatever the exit code. */
async function execIn(id: string, argv: string[]): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return Buffer.concat(chunks).toString('latin1');
}

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const nodes: string[] = [];
const strays: string[] = [];

beforeAll(ensureEngineAndImages);

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(removeNodeContainers));
  await Promise.all(
    strays.splice(0).map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
});

function newNode(): { runtime: DockerRuntime; nodeName: string } {
  const nodeName = uniqueName('rt');
  nodes.push(nodeName);
  return { runtime: new DockerRuntime({ nodeName, dockerHost: 'unix:///var/run/docker.sock' }), nodeName };
}

function httpdSpec(nodeName: string, hostPort: number, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    reservationId: `res-${nodeName}`,
    generation: 1,
    name: `berth-${nodeName}`,
    image: HTTPD_IMAGE,
    cpus: 0.5,
    memoryBytes: 64 * 1024 * 1024,
    ports: [{ name: 'http', containerPort: 80, hostPort, hostIp: '127.0.0.1' }],
    env: { GREETING: 'hello' },
    profile: 'ephemeral',
    dataPath: '',
    ...overrides,
  };
}

function loopFor(runtime: DockerRuntime): { loop: ConvergeLoop; reports: ContainerReport[] } {
  const reports: ContainerReport[] = [];
  return { loop: new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) }), reports };
}

describe('DockerRuntime with the converge loop', () => {
  it('creates a labelled, limited container reachable on its port, and serves the page', async () => {
    const { runtime, nodeName } = newNode();
    const port = await freePort();
    const spec = httpdSpec(nodeName, port);
    const { loop, reports } = loopFor(runtime);
    await loop.setDesired({ version: 7, containers: [spec] });

    const [observed] = await runtime.listManaged();
    expect(observed).toMatchObject({ reservationId: spec.reservationId, generation: 1, state: 'running', name: spec.name });
    const info = await docker.getContainer(observed.id).inspect();
    expect(info.Config.Labels).toMatchObject({
      'berth.managed': 'true',
      'berth.node': nodeName,
      'berth.reservation': spec.reservationId,
      'berth.generation': '1',
    });
    expect(info.HostConfig.Memory).toBe(spec.memoryBytes);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.Config.Env).toContain('GREETING=hello');
    expect(info.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });

    const body = await waitFor('httpd to answer', () => httpBody(`http://127.0.0.1:${port}/`));
    expect(body).toContain('berth ok');

    const last = reports.at(-1)!;
    expect(last.appliedVersion).toBe(7);
    expect(last.containers).toEqual([
      expect.objectContaining({
        reservationId: spec.reservationId,
        containerId: observed.id,
        state: 'running',
        message: '',
        ports: [{ name: 'http', containerPort: 80, hostPort: port, hostIp: '127.0.0.1' }],
      }),
    ]);
    expect(last.containers[0].startedAtMs).toBeGreaterThan(0);
  });

  it('confines the container: minimal capabilities without NET_RAW, no-new-privileges, PIDs limit, no swap, rotated logs', async () => {
    const { runtime, nodeName } = newNode();
    const port = await freePort();
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [httpdSpec(nodeName, port, { pidsLimit: 77 })] });
    const [observed] = await runtime.listManaged();
    const info = await docker.getContainer(observed.id).inspect();
    expect(info.HostConfig).toMatchObject({ PidsLimit: 77, CapDrop: ['ALL'], MemorySwap: 64 * 1024 * 1024, SecurityOpt: ['no-new-privileges:true'] });
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(observed.security).toMatchObject({ pidsLimit: 77, noNewPrivileges: true, capabilities: [...CONTAINER_CAPABILITIES].sort() });
    // What the kernel enforces inside, not only what the engine was told.
    const status = await execIn(observed.id, ['cat', '/proc/1/status']);
    expect(status).toMatch(/^NoNewPrivs:\t1$/m);
    expect(/^CapEff:\t([0-9a-f]+)$/m.exec(status)![1]).toBe(capMask(CONTAINER_CAPABILITIES));
    expect(await execIn(observed.id, ['ping', '-c', '1', '-W', '1', '127.0.0.1'])).toMatch(/permission denied/i);
    expect(await waitFor('httpd to answer', () => httpBody(`http://127.0.0.1:${port}/`))).toContain('berth ok');
  });

  it('left without hardening for a measurement, runs the container with the engine defaults', async () => {
    const { nodeName } = newNode();
    const runtime = new DockerRuntime({ nodeName, dockerHost: 'unix:///var/run/docker.sock', harden: false });
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [httpdSpec(nodeName, await freePort(), { pidsLimit: 77 })] });
    const [observed] = await runtime.listManaged();
    const info = await docker.getContainer(observed.id).inspect();
    expect(info.HostConfig.CapDrop ?? []).toEqual([]);
    expect(info.HostConfig.SecurityOpt ?? []).toEqual([]);
    expect(info.HostConfig.PidsLimit ?? 0).not.toBe(77);
  });

  it('stops a container, and stopping a stopped one is not an error', async () => {
    const { runtime, nodeName } = newNode();
    const spec: ContainerSpec = { ...httpdSpec(nodeName, 0), image: SLEEPER_IMAGE, ports: [] };
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [spec] });
    const [c] = await runtime.listManaged();
    await runtime.stop(c.id);
    expect(await runtime.inspect(c.id)).toMatchObject({ state: 'exited' });
    await expect(runtime.stop(c.id)).resolves.toBeUndefined();
  });

  it('plans nothing on a second pass and keeps the same container', async () => {
    const { runtime, nodeName } = newNode();
    const spec = httpdSpec(nodeName, await freePort());
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [spec] });
    const before = await runtime.listManaged();

    expect(planConverge([spec], before, new Set([spec.image]), Date.now())).toEqual([]);
    await loop.trigger();
    const after = await runtime.listManaged();
    expect(after.map((c) => [c.id, c.startedAtMs])).toEqual(before.map((c) => [c.id, c.startedAtMs]));
  });

  it('removes the container once its reservation leaves the desired set', async () => {
    const { runtime, nodeName } = newNode();
    const port = await freePort();
    const { loop, reports } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [httpdSpec(nodeName, port)] });
    expect(await runtime.listManaged()).toHaveLength(1);

    await loop.setDesired({ version: 2, containers: [] });
    expect(await runtime.listManaged()).toEqual([]);
    expect(reports.at(-1)).toEqual({ appliedVersion: 2, containers: [] });
  });

  it('recreates the container when the generation changes', async () => {
    const { runtime, nodeName } = newNode();
    const spec = httpdSpec(nodeName, await freePort());
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [spec] });
    const [first] = await runtime.listManaged();

    await loop.setDesired({ version: 2, containers: [{ ...spec, generation: 2 }] });
    const after = await runtime.listManaged();
    expect(after).toHaveLength(1);
    expect(after[0].id).not.toBe(first.id);
    expect(after[0]).toMatchObject({ generation: 2, state: 'running' });
  });

  it('reports a failed pull with the engine message and still converges the other reservations', async () => {
    const { runtime, nodeName } = newNode();
    const bad = httpdSpec(nodeName, await freePort(), { reservationId: 'bad', name: `${nodeName}-bad`, image: '127.0.0.1:1/nope:1' });
    const good: ContainerSpec = { ...httpdSpec(nodeName, 0), reservationId: 'good', name: `${nodeName}-good`, image: SLEEPER_IMAGE, ports: [] };
    const { loop, reports } = loopFor(runtime);
    const desired: DesiredState = { version: 3, containers: [bad, good] };
    await loop.setDesired(desired);

    const report = reports.at(-1)!;
    const badStatus = report.containers.find((c) => c.reservationId === 'bad');
    expect(badStatus).toMatchObject({ state: 'failed', containerId: '', generation: 1 });
    expect(badStatus!.message).toMatch(/^pull failed: .*127\.0\.0\.1:1/);
    expect(report.containers.find((c) => c.reservationId === 'good')).toMatchObject({ state: 'running' });
  });

  it('reports a crashed container with its exit reason', async () => {
    const { runtime, nodeName } = newNode();
    const spec: ContainerSpec = { ...httpdSpec(nodeName, 0), image: SLEEPER_IMAGE, ports: [] };
    const { loop } = loopFor(runtime);
    await loop.setDesired({ version: 1, containers: [spec] });
    const [c] = await runtime.listManaged();
    // Stopping by hand leaves it exited: unless-stopped does not bring it back.
    await docker.getContainer(c.id).stop({ t: 0 });
    const stopped = await runtime.inspect(c.id);
    expect(stopped).toMatchObject({ state: 'exited' });
    expect(stopped!.message).toMatch(/^exited with code \d+$/);

    await loop.trigger();
    expect(await runtime.inspect(c.id)).toMatchObject({ state: 'running' });
  });

  it('never sees or touches containers without its labels', async () => {
    const { runtime, nodeName } = newNode();
    const plain = await docker.createContainer({ Image: SLEEPER_IMAGE });
    strays.push(plain.id);
    const other = await docker.createContainer({
      Image: SLEEPER_IMAGE,
      Labels: { 'berth.managed': 'true', 'berth.node': `${nodeName}-other`, 'berth.reservation': 'x' },
    });
    strays.push(other.id);

    expect(await runtime.listManaged()).toEqual([]);
    expect(await runtime.inspect(plain.id)).toBeUndefined();
    await expect(runtime.remove(plain.id)).rejects.toThrow(/not managed by Berth/);
    await expect(runtime.remove(other.id)).rejects.toThrow(/not managed by Berth/);
    await expect(docker.getContainer(plain.id).inspect()).resolves.toBeDefined();
    await expect(docker.getContainer(other.id).inspect()).resolves.toBeDefined();
  });

  it('surfaces the engine message when a pull fails', async () => {
    const { runtime } = newNode();
    await expect(runtime.imageExists('127.0.0.1:1/nope:1')).resolves.toBe(false);
    await expect(runtime.pull('127.0.0.1:1/nope:1')).rejects.toThrow(/127\.0\.0\.1:1.*(connection refused|connect)/);
  });
});
