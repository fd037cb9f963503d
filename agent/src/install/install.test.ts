import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV_PATH, installAgent, UNIT_PATH } from './install.ts';
import { AGENT_SHEBANG } from './node-flags.ts';
import { AGENT_HARDENING } from './render-unit.ts';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = `K10${'ab'.repeat(32)}::s3cret-s3cret-s3cret`;
const flags = [
  '--controller',
  '10.0.0.1:7071',
  '--join-token',
  TOKEN,
  '--node-name',
  'cn1',
  '--address',
  '10.0.0.11',
  '--docker-host',
  'unix:///run/docker.sock',
];
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

/** systemd's own exposure score of the unit file (0 = locked down, 10 = unprotected root). */
async function exposure(unitFile: string): Promise<number> {
  const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', unitFile], { cwd: path.dirname(unitFile) });
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(stdout);
  if (!m) throw new Error(`no exposure level in: ${stdout.slice(-300)}`);
  return Number(m[1]);
}

/** A shipped unit, pointed at an existing binary so that verify checks the rest. */
async function shippedUnit(root: string, name: string): Promise<{ text: string; file: string }> {
  const text = await readFile(path.join(REPO, 'deploy/systemd', name), 'utf8');
  const file = path.join(root, name);
  await writeFile(file, text.replace(/^ExecStart=\/usr\/local\/bin\/(\S+)/m, `ExecStart=${process.execPath} $1`));
  return { text, file };
}

// Directives that give a unit its own mount namespace, from which sshfs mounts never reach dockerd.
const MOUNT_NAMESPACE =
  /^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProtectHostname|ProtectClock|BindPaths|TemporaryFileSystem|MountFlags)=/m;

describe('berth-agent install', () => {
  it("the checkout's berth-agent executable starts node with the agent's flags", async () => {
    const first = (await readFile(path.join(REPO, 'agent/bin/berth-agent.mjs'), 'utf8')).split('\n')[0];
    expect(first).toBe(AGENT_SHEBANG);
    expect(first).toBe('#!/usr/bin/env -S node --no-opt --no-sparkplug --max-semi-space-size=1');
  });

  it('writes a unit that restarts on failure and an env file (0600) with the flags', async () => {
    const root = await tempRoot();
    const { unitFile, envFile } = await installAgent(['--root', root, ...flags], {});
    expect(unitFile).toBe(path.join(root, UNIT_PATH));
    const unit = await readFile(unitFile, 'utf8');
    expect(unit).toContain(`EnvironmentFile=${ENV_PATH}`);
    expect(unit).toContain('Restart=on-failure');
    // node, the agent's flags (node-flags.ts), the agent.
    expect(unit).toMatch(/^ExecStart=\S+ --no-opt --no-sparkplug --max-semi-space-size=1 \S+berth-agent\.mjs$/m);
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
      const { text, file } = await shippedUnit(root, name);
      expect(text).toMatch(/^Restart=on-failure$/m);
      expect(text).toMatch(/^EnvironmentFile=\/etc\/berth\/\S+\.env$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^StateDirectoryMode=0700$/m);
      expect(text).toMatch(/^UMask=0077$/m);
      await verify(file);
    }
  });

  it('runs the controller as its own user with CAP_NET_ADMIN only, read-only outside its state', async () => {
    const { text, file } = await shippedUnit(await tempRoot(), 'berth-controller.service');
    expect(text).toMatch(/^User=berth$/m);
    expect(text).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN$/m);
    expect(text).toMatch(/^AmbientCapabilities=CAP_NET_ADMIN$/m);
    // Not root, so `--nat auto` would fall back to the userspace forwarder.
    expect(text).toMatch(/^Environment=BERTH_NAT=iptables$/m);
    for (const line of ['ProtectSystem=strict', 'ReadWritePaths=/var/lib/berth', 'ProtectHome=yes', 'PrivateTmp=yes', 'StateDirectory=berth']) {
      expect(text.split('\n')).toContain(line);
    }
    expect(await exposure(file)).toBeLessThan(2.5);
  });

  it('hardens the agent without a mount namespace, the same in the shipped and the installed unit', async () => {
    const root = await tempRoot();
    const { text, file } = await shippedUnit(root, 'berth-agent.service');
    const { unitFile } = await installAgent(['--root', root, ...flags], {});
    const installed = await readFile(unitFile, 'utf8');
    for (const unit of [text, installed]) {
      for (const line of AGENT_HARDENING) expect(unit.split('\n')).toContain(line);
      expect(unit).toMatch(/^CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN$/m);
      expect(unit).not.toMatch(MOUNT_NAMESPACE);
    }
    expect(await exposure(file)).toBeLessThan(5);
    expect(await exposure(unitFile)).toBeLessThan(5);
  });
});
