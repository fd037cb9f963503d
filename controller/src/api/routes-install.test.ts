// The one-line node join's routes, in-process (api/api-harness.testkit.ts): what the script holds,
// that the bundle is the built file and nothing else, and what happens without a build.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentBundleSource } from '../install/index.ts';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../install/agent-install.sh');
const FINGERPRINT = 'cd'.repeat(32);
const CA = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FUZXN0\n-----END CERTIFICATE-----\n';
const dirs: string[] = [];
let h: ApiHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A harness whose /install routes serve `bundle` (absent: a controller run from sources, unbuilt). */
async function harness(bundle?: Buffer) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-install-routes-'));
  dirs.push(dir);
  const file = path.join(dir, 'berth-agent.tar.gz');
  if (bundle) writeFileSync(file, bundle);
  writeFileSync(path.join(dir, 'secret.txt'), 'not for download');
  const source = new AgentBundleSource({ template: TEMPLATE, bundle: file });
  h = await startApiHarness({}, { source, grpcPort: () => 7171, fingerprint: FINGERPRINT, caPem: CA, version: '1.2.3' });
  return h;
}

const get = (url: string, host = '10.0.0.1:7070') => h!.app.inject({ method: 'GET', url, headers: { host } });

describe('GET /install/agent.sh', () => {
  it('serves the installer with the bundle hash, the CA, the token fingerprint and the agent endpoint filled in', async () => {
    const bundle = Buffer.from('pretend tarball');
    await harness(bundle);
    const res = await get('/install/agent.sh');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/x-shellscript/);
    const script = res.body;
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(`BUNDLE_SHA256='${createHash('sha256').update(bundle).digest('hex')}'`);
    expect(script).toContain(`FINGERPRINT='${FINGERPRINT}'`);
    expect(script).toContain("API_URL='http://10.0.0.1:7070'");
    expect(script).toContain("CONTROLLER_HOST='10.0.0.1'");
    expect(script).toContain("GRPC_PORT='7171'");
    expect(script).toContain(`CA_PEM='${CA.trim()}'`);
    expect(script).toContain("BERTH_VERSION='1.2.3'");
    expect(script).not.toMatch(/@@[A-Z_]+@@/);
  });

  it('holds no secret: no join token, bootstrap secret, private key or admin token', async () => {
    await harness(Buffer.from('x'));
    const script = (await get('/install/agent.sh')).body;
    expect(script).not.toMatch(/PRIVATE KEY/);
    expect(script).not.toContain(h!.adminToken);
    expect(script).not.toMatch(/K10[0-9a-f]{64}::/);
    const tokens = await h!.store.db.bootstrapToken.findMany();
    for (const t of tokens) expect(script).not.toContain(t.id);
  });

  it('refuses a Host header that could inject shell text, and changes nothing', async () => {
    await harness(Buffer.from('x'));
    for (const host of ["evil'$(reboot)'", 'a b', '10.0.0.1:99999', 'x/y']) {
      const res = await get('/install/agent.sh', host);
      expect(res.statusCode, host).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'Invalid', field: 'Host' });
    }
  });

  it('answers 503 with a message naming the missing build when the controller runs from unbuilt sources', async () => {
    await harness();
    for (const url of ['/install/agent.sh', '/install/berth-agent.tar.gz']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(503);
      expect(res.json().error.code).toBe('Unavailable');
      expect(res.json().error.message).toMatch(/no agent bundle.*npm run build/);
      expect(res.body).not.toContain(dirs[0]); // no server paths
    }
  });
});

describe('GET /install/berth-agent.tar.gz', () => {
  it('serves the built bundle byte for byte, unauthenticated, with its SHA-256', async () => {
    const bundle = Buffer.from([0x1f, 0x8b, 0, 1, 2, 3, 255]);
    await harness(bundle);
    const res = await get('/install/berth-agent.tar.gz');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(bundle)).toBe(true);
    expect(res.headers['x-content-sha256']).toBe(createHash('sha256').update(bundle).digest('hex'));
  });

  it('serves a rebuilt bundle, not a stale copy', async () => {
    await harness(Buffer.from('first build'));
    expect((await get('/install/berth-agent.tar.gz')).body).toBe('first build');
    writeFileSync(path.join(dirs[0], 'berth-agent.tar.gz'), 'second build, longer');
    expect((await get('/install/berth-agent.tar.gz')).body).toBe('second build, longer');
  });

  it('serves no other file, whatever the path says', async () => {
    await harness(Buffer.from('bundle'));
    for (const url of [
      '/install/secret.txt',
      '/install/../install/secret.txt',
      '/install/%2e%2e/%2e%2e/etc/passwd',
      '/install/..%2fsecret.txt',
      '/install/berth-agent.tar.gz/../secret.txt',
      '/install/agent-install.sh',
      '/install/',
    ]) {
      const res = await get(url);
      expect(res.body, url).not.toContain('not for download');
      expect(res.body, url).not.toContain('root:');
      expect([404, 400], url).toContain(res.statusCode);
    }
  });
});
