import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV_PATH, installAgent, UNIT_PATH } from './install.ts';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = `K10${'ab'.repeat(32)}::s3cret-s3cret-s3cret`;
const flags = ['--controller', '10.0.0.1:7071', '--join-token', TOKEN, '--node-name', 'cn1', '--address', '10.0.0.11', '--docker-host', 'unix:///run/docker.sock'];
const dirs: string[] = [];

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-install-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function verify(unitFile: string): Promise<void> {
  // Checks the file only (syntax, directives, that ExecStart exists); no systemd needs to run.
  const { stderr } = await run('systemd-analyze', ['verify', unitFile]);
  expect(stderr).not.toMatch(/unknown|invalid|not executable|failed/i);
}

describe('berth-agent install', () => {
  it('writes a unit that restarts on failure and an env file (0600) with the flags', async () => {
    const root = await tempRoot();
    const { unitFile, envFile } = await installAgent(['--root', root, ...flags], {});
    expect(unitFile).toBe(path.join(root, UNIT_PATH));
    const unit = await readFile(unitFile, 'utf8');
    expect(unit).toContain(`EnvironmentFile=${ENV_PATH}`);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toMatch(/^ExecStart=\S+ \S+berth-agent\.mjs$/m);
    const env = await readFile(envFile, 'utf8');
    expect(env).toContain('BERTH_CONTROLLER="10.0.0.1:7071"');
    expect(env).toContain(`BERTH_JOIN_TOKEN="${TOKEN}"`);
    expect(env).toContain('DOCKER_HOST="unix:///run/docker.sock"');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    await verify(unitFile);
  });

  it('writes the container guards to the env file in the form the agent reads back', async () => {
    const root = await tempRoot();
    const guards = ['--protected-networks', '10.0.0.0/24,10.0.9.9', '--container-egress', 'deny', '--storage-check-interval', '30'];
    const { envFile } = await installAgent(['--root', root, ...flags, ...guards], {});
    const env = await readFile(envFile, 'utf8');
    expect(env).toContain('BERTH_PROTECTED_NETWORKS="10.0.0.0/24,10.0.9.9/32"');
    expect(env).toContain('BERTH_CONTAINER_EGRESS="deny"');
    expect(env).toContain('BERTH_STORAGE_CHECK_INTERVAL="30"');
  });

  it('refuses to install without the required settings', async () => {
    const root = await tempRoot();
    await expect(installAgent(['--root', root, '--controller', '10.0.0.1:7071'], {})).rejects.toThrow(/missing --join-token/);
  });

  it('ships unit files in deploy/systemd that systemd-analyze accepts', async () => {
    const root = await tempRoot();
    for (const name of ['berth-agent.service', 'berth-controller.service']) {
      const text = await readFile(path.join(REPO, 'deploy/systemd', name), 'utf8');
      expect(text).toMatch(/^Restart=on-failure$/m);
      expect(text).toMatch(/^EnvironmentFile=\/etc\/berth\/\S+\.env$/m);
      // The shipped units name /usr/local/bin; point them at an existing binary to verify the rest.
      const copy = path.join(root, name);
      await writeFile(copy, text.replace(/^ExecStart=\/usr\/local\/bin\/(\S+)/m, `ExecStart=${process.execPath} $1`));
      await verify(copy);
    }
  });
});
