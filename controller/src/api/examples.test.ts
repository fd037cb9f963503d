// Every manifest in examples/ is valid and applies, as a newcomer would apply it: the catalog as
// the admin, each reservation as a customer, on a controller like `berth dev`'s (no storage node,
// one node the size of a small machine); the remote-profile ones on a controller with a storage
// node. Through the real routes and admission (see api-harness.testkit.ts).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifests, type LoadedManifest } from '../cli/load-manifests.ts';
import { validateManifest } from '../manifests/index.ts';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .flatMap((path) => (statSync(path).isDirectory() ? filesUnder(path) : /\.(ya?ml|json)$/.test(path) ? [path] : []));
}

const all = async () => loadManifests(filesUnder(EXAMPLES));
const at = (m: LoadedManifest) => relative(EXAMPLES, m.source);

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function applyAs(token: string, m: LoadedManifest) {
  const res = await h!.app.inject({ method: 'POST', url: '/api/v1/apply', payload: m.manifest as object, headers: { authorization: `Bearer ${token}` } });
  return { file: at(m), status: res.statusCode, error: res.statusCode >= 300 ? res.json().error?.message : undefined };
}

/** Each reservation alone (a small machine has no room for all of them at once), then deleted. */
async function applyEach(reservations: LoadedManifest[]) {
  await h!.addNode('local', { cores: 2, memoryMiB: 4096 });
  const customer = await h!.customer('newcomer');
  for (const image of (await all()).filter((m) => m.manifest.kind === 'Image')) expect(await applyAs(h!.adminToken, image)).toMatchObject({ status: 201 });
  const results = [];
  for (const m of reservations) {
    results.push(await applyAs(customer, m));
    await h!.app.inject({ method: 'DELETE', url: `/api/v1/reservations/${m.manifest.metadata?.name}`, headers: { authorization: `Bearer ${customer}` } });
  }
  return results;
}

describe('examples/', () => {
  it('holds only valid manifests, and none with a fixed start (it would pass into the past)', async () => {
    const manifests = await all();
    expect(manifests.length).toBeGreaterThanOrEqual(13);
    for (const m of manifests) {
      expect(() => validateManifest(m.manifest), at(m)).not.toThrow();
      expect((m.manifest.spec as { start?: unknown }).start, `${at(m)}: spec.start`).toBeUndefined();
    }
  });

  it('applies every image and every reservation outside remote/ on a controller like berth dev', async () => {
    h = await startApiHarness();
    const reservations = (await all()).filter((m) => m.manifest.kind === 'Reservation' && !at(m).includes('remote/'));
    expect(reservations.map(at).sort()).toEqual([
      'quickstart.yaml',
      'reservations/jenkins-local.yaml',
      'reservations/mongo-local.yaml',
      'reservations/mysql-local.yaml',
      'reservations/nginx-ephemeral.yaml',
      'reservations/redis-local.yaml',
    ]);
    for (const result of await applyEach(reservations)) expect(result).toEqual({ file: result.file, status: 201, error: undefined });
  });

  it('applies the remote-profile ones where a storage node is configured, and says what to do where none is', async () => {
    const remote = (await all()).filter((m) => at(m).startsWith('reservations/remote/'));
    expect(remote.map(at).sort()).toEqual(['reservations/remote/jenkins-remote.yaml', 'reservations/remote/mongo-remote.yaml']);
    h = await startApiHarness({ storage: { host: '10.0.0.5', port: 22, user: 'berth-admin', keyFile: '/etc/berth/storage_admin_ed25519' } });
    for (const result of await applyEach(remote)) expect(result).toEqual({ file: result.file, status: 201, error: undefined });
    await h.close();
    h = await startApiHarness();
    const [refused] = await applyEach(remote.slice(0, 1));
    expect(refused!.status).toBe(400);
    expect(refused!.error).toContain('use local, or give the controller --storage-host');
  });
});
