// The pool of spare tenant networks against the real engine: a spare goes to one tenant, the
// mapping survives an agent restart, and no network that may have carried a tenant is handed out.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngineAndImages, removeNodeContainers, SLEEPER_IMAGE, uniqueName } from '../runtime/engine.testkit.ts';
import { LABELS } from '../runtime/container-runtime.ts';
import { DockerNetworks, SPARE_LABEL } from './docker-networks.ts';
import { PooledNetworks } from './pooled-networks.ts';
import { tenantNetworkName } from './tenant-networks.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const nodeName = uniqueName('pool');
let dir: string;
let stateFile: string;

const pool = async () => {
  const p = new PooledNetworks({ networks: new DockerNetworks(docker, nodeName), stateFile, spares: 2 });
  await p.load();
  return p;
};
const engineNetworks = async () =>
  (await docker.listNetworks({ filters: { label: [`${LABELS.node}=${nodeName}`] } })).map((n) => ({
    name: n.Name,
    spare: n.Labels?.[SPARE_LABEL] === 'true',
    tenant: n.Labels?.[LABELS.tenant] ?? '',
  }));

beforeAll(async () => {
  await ensureEngineAndImages();
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-pool-'));
  stateFile = path.join(dir, 'tenant-networks.json');
}, 120_000);

afterAll(async () => {
  await removeNodeContainers(nodeName);
  await rm(dir, { recursive: true, force: true });
});

describe('the spare network pool', () => {
  it('hands a new tenant a spare (recorded before use), refills, keeps the mapping through a restart, and never hands a used spare out again', async () => {
    const first = await pool();
    await first.refill();
    const spares = (await engineNetworks()).filter((n) => n.spare).map((n) => n.name);
    expect(spares).toHaveLength(2);
    for (const n of await engineNetworks()) expect(n.tenant).toBe(''); // spares carry no tenant label

    await first.list();
    await first.create(tenantNetworkName(nodeName, 'alice'), 'alice');
    const alices = first.nameFor('alice')!;
    expect(spares).toContain(alices);
    // No network was created for alice: she took a spare, and the record says so on disk already.
    expect((await engineNetworks()).map((n) => n.name)).not.toContain(tenantNetworkName(nodeName, 'alice'));
    expect(JSON.parse(await readFile(stateFile, 'utf8')).assigned).toEqual({ [alices]: 'alice' });
    await first.refill();
    expect((await engineNetworks()).filter((n) => n.spare)).toHaveLength(3);

    // An agent restart: the same mapping, and alice's network is not among the free spares.
    const second = await pool();
    const listed = await second.list();
    expect(listed).toEqual([{ id: expect.any(String), name: alices, tenant: 'alice' }]);
    expect(second.nameFor('alice')).toBe(alices);
    await second.create(tenantNetworkName(nodeName, 'bob'), 'bob');
    expect(second.nameFor('bob')).not.toBe(alices);

    // Alice's network released: removed from the engine and the record, not returned to the pool.
    await second.remove(listed[0].id);
    expect((await engineNetworks()).map((n) => n.name)).not.toContain(alices);
    expect(Object.keys(JSON.parse(await readFile(stateFile, 'utf8')).assigned)).not.toContain(alices);
  });

  it('with its record lost, removes the spares it cannot vouch for and gives a used one back to the tenant of its containers', async () => {
    const p = await pool();
    await p.list();
    await p.create(tenantNetworkName(nodeName, 'carol'), 'carol');
    const carols = p.nameFor('carol')!;
    const container = await docker.createContainer({
      Image: SLEEPER_IMAGE,
      Labels: { [LABELS.managed]: 'true', [LABELS.node]: nodeName, [LABELS.tenant]: 'carol' },
      HostConfig: { NetworkMode: carols },
    });
    await container.start(); // only a running container has an endpoint on the network
    const before = (await engineNetworks()).filter((n) => n.spare).map((n) => n.name);
    await rm(stateFile);

    const after = await pool();
    await after.refill();
    const now = (await engineNetworks()).filter((n) => n.spare).map((n) => n.name);
    // Every spare of before is gone except carol's (in use); two fresh ones replace the free ones.
    expect(now.filter((n) => before.includes(n))).toEqual([carols]);
    expect(now).toHaveLength(3);
    await after.list();
    expect(after.nameFor('carol')).toBe(carols);
    await after.create(tenantNetworkName(nodeName, 'dave'), 'dave');
    expect(after.nameFor('dave')).not.toBe(carols);
    await container.remove({ force: true });
  });
});
