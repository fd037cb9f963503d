// CLI contexts against real processes: an admin login and a customer signup side by side in one
// default config file, `use-context` / `--context` / BERTH_CONTEXT switching who the real `berth`
// acts as, and a real `berth dev` adding its own context without touching the others or taking
// over the current one.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { readRawConfig } from '../support/client-config.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { BERTH_BIN, freePort, removeDir } from '../support/processes.ts';
import { type SingleHost, startSingleHost } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

let host: SingleHost;
let home: string;
let admin: string;
let carol: string;

// A password must not contain the user name.
const pw = (user: string) => `Pw-${Buffer.from(user).toString('hex')}`;
const configFile = () => path.join(home, '.config', 'berth', 'config');
/** The real CLI with nothing but a home directory: it reads and writes the default config file. */
const berth = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) =>
  runCli(args, { env: { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...opts.env }, stdin: opts.stdin });
const names = (stdout: string) => stdout.split('\n').filter(Boolean).sort();

async function ok(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const r = await berth(args, opts);
  expect(r.stderr, `berth ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function applyFile(name: string, doc: unknown, opts: { env?: Record<string, string> } = {}) {
  const file = path.join(home, `${name}.json`);
  await writeFile(file, JSON.stringify(doc));
  return ok(['apply', '-f', file], opts);
}

const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'berth-contexts-'));
  await mkdir(path.join(home, '.config'));
  // Userspace NAT: this test needs no iptables chains of its own.
  host = await startSingleHost('ctx', { nat: 'userspace' });
  const { controller } = host;
  const hostPort = new URL(controller.url).host;
  admin = `boss@${hostPort}`;
  carol = `carol@${hostPort}`;
  const created = await runCli(
    ['admin', 'create-user', 'boss', '--admin', '--email', 'boss@example.com', '--password-stdin', '--data-dir', controller.dataDir],
    {
      stdin: `${pw('boss')}\n`,
    },
  );
  expect(created.stderr).toBe('');
  // Reservations start in an hour: admitted on the node, no container needed.
  const image = webImage('ctx-web', { resources: { cores: 0.25, memory: '32Mi', maxCores: 1, maxMemory: '128Mi' } });
  expect((await controller.api.apply(image)).status).toBe(201);
  const dave = new ApiClient(controller.url, '', controller.ca);
  const up = await dave.request('POST', '/api/v1/auth/signup', { username: 'dave', email: 'dave@example.com', password: pw('dave') });
  expect(up.status).toBe(201);
  const daves = await new ApiClient(controller.url, up.body.token, controller.ca).apply(reservation('dave-res', { image: 'ctx-web', start: later() }));
  expect(daves.status).toBe(201);
});

afterAll(async () => {
  await host?.stop();
  if (home) await removeDir(home);
});

describe('contexts in the default config file', () => {
  it('keeps the admin login when a customer signs up: two contexts side by side, the new one current', async () => {
    const { controller } = host;
    const login = await ok(['login', '--server', controller.url, '--certificate-authority', controller.caFile, '--username', 'boss', '--password-stdin'], {
      stdin: `${pw('boss')}\n`,
    });
    expect(login).toContain(`as context ${admin} (now current)`);
    const adminToken = (await readRawConfig(configFile())).contexts?.[0]?.token;
    expect(adminToken).toMatch(/^berth_/);

    // No --server and no CA: both come from the current (admin) context for the same server.
    const signup = await ok(['signup', '--username', 'carol', '--email', 'carol@example.com', '--password-stdin'], { stdin: `${pw('carol')}\n` });
    expect(signup).toContain(`Signed up and logged in as carol (customer); token saved in ${configFile()} as context ${carol} (now current)`);

    const raw = await readRawConfig(configFile());
    expect(raw['current-context']).toBe(carol);
    expect(raw.contexts?.map((c) => [c.name, c.user, c.server])).toEqual([
      [admin, 'boss', controller.url],
      [carol, 'carol', controller.url],
    ]);
    expect(raw.contexts?.[0]?.token).toBe(adminToken);
    expect(raw.contexts?.[1]?.token).toMatch(/^berth_/);
    expect(raw.contexts?.[1]?.token).not.toBe(adminToken);
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);

    const listed = await ok(['config', 'get-contexts']);
    expect(listed.split('\n')[0]).toMatch(/^CURRENT +NAME +USER +SERVER$/);
    expect(listed).toMatch(new RegExp(`^\\* +${carol} +carol +${controller.url}$`, 'm'));
    expect(listed).toMatch(new RegExp(`^ +${admin} +boss +${controller.url}$`, 'm'));
    expect(listed).not.toContain('berth_');
  });

  it("use-context switches who `berth get reservations` acts as: the customer sees only hers, the admin everyone's", async () => {
    expect(await applyFile('carol-res', reservation('carol-res', { image: 'ctx-web', start: later() }))).toBe('reservation/carol-res created\n');
    expect(await ok(['whoami'])).toMatch(/^carol \(customer\)/);
    expect(names(await ok(['get', 'reservations', '-o', 'name']))).toEqual(['reservation/carol-res']);

    expect(await ok(['config', 'use-context', admin])).toBe(`Switched to context "${admin}" (boss on ${host.controller.url}).\n`);
    expect(await ok(['config', 'current-context'])).toBe(`${admin}\n`);
    expect(await ok(['whoami'])).toMatch(/^boss \(admin\)/);
    expect(names(await ok(['get', 'reservations', '-o', 'name']))).toEqual(['reservation/carol-res', 'reservation/dave-res']);

    expect(await ok(['config', 'use-context', carol])).toContain(`Switched to context "${carol}"`);
    expect(names(await ok(['get', 'reservations', '-o', 'name']))).toEqual(['reservation/carol-res']);
    // The customer cannot reach another customer's reservation by name either.
    const other = await berth(['get', 'reservation', 'dave-res']);
    expect(other.code).toBe(4);
  });

  it('--context and BERTH_CONTEXT pick the login for one command and leave the current one alone', async () => {
    expect(await ok(['--context', admin, 'whoami'])).toMatch(/^boss \(admin\)/);
    expect(await ok(['whoami'], { env: { BERTH_CONTEXT: admin } })).toMatch(/^boss \(admin\)/);
    expect(names(await ok(['get', 'reservations', '-o', 'name'], { env: { BERTH_CONTEXT: admin } }))).toHaveLength(2);
    expect(await ok(['config', 'current-context'])).toBe(`${carol}\n`);
    const unknown = await berth(['--context', 'nope', 'whoami']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe(`error: context "nope" not found in config file ${configFile()} (contexts: ${admin}, ${carol})\n`);
  });

  it('a real `berth dev` adds its own context, leaves the others intact and does not take over the current one', async () => {
    const before = await readRawConfig(configFile());
    const port = await freePort();
    const dev = startBerthDev(port);
    try {
      const line = await waitFor(() => dev.output.match(/CLI config: .*\n/)?.[0], {
        timeoutMs: 90_000,
        what: 'berth dev to start',
        failFast: () => (dev.child.exitCode !== null ? `berth dev exited: ${dev.output}` : undefined),
      });
      const name = `dev-${port}`;
      expect(line).toContain(`context ${name} in ${configFile()} (not current: another context is; \`npx berth config use-context ${name}\` switches`);
      const after = await readRawConfig(configFile());
      expect(after['current-context']).toBe(carol);
      expect(after.contexts?.slice(0, 2)).toEqual(before.contexts);
      expect(after.contexts?.[2]).toMatchObject({ name, server: `http://127.0.0.1:${port}`, user: 'admin' });
      // The dev context works for one command, against the dev server.
      expect(await ok(['--context', name, 'get', 'nodes', '-o', 'name'])).toBe('node/local\n');
      expect(await ok(['whoami'])).toMatch(/^carol \(customer\)/);
    } finally {
      await dev.stop();
      await removeDir(dev.dataDir);
    }
  });

  it('delete-context removes one login and keeps the other', async () => {
    const devName = (await readRawConfig(configFile())).contexts?.[2]?.name;
    expect(await ok(['config', 'delete-context', devName!])).toBe(`deleted context ${devName} from ${configFile()}\n`);
    expect(await ok(['config', 'get-contexts', '-o', 'name'])).toBe(`${admin}\n${carol}\n`);
    expect(await ok(['whoami'])).toMatch(/^carol/);
  });
});

/** `berth dev` as a user starts it, with this test's home directory, on loopback ports of its own. */
function startBerthDev(port: number) {
  const dataDir = path.join(home, 'dev-data');
  const env: Record<string, string | undefined> = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), BERTH_LOG_LEVEL: 'warn' };
  for (const name of ['BERTH_CONFIG', 'BERTH_CONTEXT', 'BERTH_SERVER', 'BERTH_TOKEN']) delete env[name];
  // Userspace NAT: no iptables chains shared with other controllers on this machine.
  const child: ChildProcess = spawn(process.execPath, [BERTH_BIN, 'dev', '--data-dir', dataDir, '--port', String(port), '--nat', 'userspace'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    dataDir,
    get output() {
      return output;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
