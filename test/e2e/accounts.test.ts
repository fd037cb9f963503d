// Accounts through a real controller process and its database: signup, login, throttling (also
// under concurrent requests), token expiry, logout, the CLI's config file, admin creation on the
// management node only, and the bootstrap admin token's expiry and rotation.
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { removeDir, startController, type ControllerProcess } from '../support/processes.ts';
import { currentContext } from '../support/client-config.ts';
import { waitFor } from '../support/wait.ts';

let controller: ControllerProcess;
let cliDir: string;
const anon = () => new ApiClient(controller.url, '', controller.ca);
const secrets: string[] = [];

const pw = (username: string) => `Pw-${Buffer.from(username).toString('hex')}`;

async function signup(username: string, password = pw(username)) {
  const res = await anon().request('POST', '/api/v1/auth/signup', { username, email: `${username}@example.com`, password });
  if (res.status === 201) secrets.push(password, res.body.token);
  return res;
}

const login = (username: string, password: string) => anon().request('POST', '/api/v1/auth/login', { username, password });

beforeAll(async () => {
  controller = await startController({
    nat: 'userspace',
    env: { BERTH_TOKEN_TTL: '3s', BERTH_ADMIN_TOKEN_TTL: '4s', BERTH_LOGIN_MAX_FAILURES: '3', BERTH_LOGIN_LOCKOUT: '1h', BERTH_LOG_LEVEL: 'debug' },
  });
  cliDir = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-'));
});

afterAll(async () => {
  await controller?.stop();
  if (controller) await removeDir(controller.dataDir);
  if (cliDir) await removeDir(cliDir);
});

describe('signup throttling', () => {
  it('creates at most the configured number of accounts per source address, then answers 429 with Retry-After', async () => {
    const own = await startController({ nat: 'userspace', env: { BERTH_SIGNUP_LIMIT: '2' } });
    try {
      const client = new ApiClient(own.url, '', own.ca);
      const up = (username: string) => client.request('POST', '/api/v1/auth/signup', { username, email: `${username}@example.com`, password: pw(username) });
      expect((await up('first')).status).toBe(201);
      expect((await up('second')).status).toBe(201);
      const third = await own.fetch(`${own.url}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'third', email: 'third@example.com', password: pw('third') }),
      });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = await third.json();
      expect(body.error).toMatchObject({ code: 'TooManyRequests' });
      expect(body.error.message).toMatch(/^too many signups from this address: try again in \d+ s$/);
      // Nothing was created for the refused one.
      expect((await client.request('POST', '/api/v1/auth/login', { username: 'third', password: pw('third') })).status).toBe(401);
    } finally {
      await own.stop();
      await removeDir(own.dataDir);
    }
  });
});

/** How many answers had each status, e.g. { 401: 5, 429: 35 }. */
function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('throttling under concurrent requests', () => {
  // Its own controller with the default limits: 5 failures per user, 20 per source, 10 signups
  // per source and hour; everything here comes from one source address (127.0.0.1).
  let own: ControllerProcess;
  beforeAll(async () => {
    own = await startController({ nat: 'userspace' });
  });
  afterAll(async () => {
    await own?.stop();
    if (own) await removeDir(own.dataDir);
  });
  const post = (path: string, body: unknown) => new ApiClient(own.url, '', own.ca).request('POST', path, body);

  it('answers 40 concurrent wrong passwords with 401 for the first 5 and 429 for the rest, per user and then per source', async () => {
    // Created on the management node, so that the signup budget stays untouched.
    const made = await runCli(['admin', 'create-user', 'dora', '--password-stdin', '--data-dir', own.dataDir], { stdin: `${pw('dora')}\n` });
    expect(made.code).toBe(0);
    const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) => post('/api/v1/auth/login', { username: 'dora', password: `Wrong-guess-${i}` })));
    expect(tally(guesses.map((r) => r.status))).toEqual({ 401: 5, 429: 35 });
    expect(guesses.find((r) => r.status === 429)?.body.error).toMatchObject({
      code: 'TooManyRequests',
      message: expect.stringMatching(/^too many failed logins: try again in \d+ s$/),
    });
    // dora is locked out now, even with her password.
    expect((await post('/api/v1/auth/login', { username: 'dora', password: pw('dora') })).status).toBe(429);

    // The source has 15 of its 20 failures left: 40 guesses at as many names get 15 answers.
    const spray = await Promise.all(Array.from({ length: 40 }, (_, i) => post('/api/v1/auth/login', { username: `ghost${i}`, password: 'Wrong-guess-0' })));
    expect(tally(spray.map((r) => r.status))).toEqual({ 401: 15, 429: 25 });
  });

  it('creates at most 10 accounts from 30 concurrent signups from one address', async () => {
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post('/api/v1/auth/signup', { username: `burst${i}`, email: `burst${i}@example.com`, password: pw(`burst${i}`) })),
    );
    expect(tally(burst.map((r) => r.status))).toEqual({ 201: 10, 429: 20 });
    const users = (await own.api.request('GET', '/api/v1/users')).body.items as Array<{ username: string }>;
    expect(users.filter((u) => u.username.startsWith('burst'))).toHaveLength(10);
    // The winners are exactly the accounts that exist.
    const won = burst
      .filter((r) => r.status === 201)
      .map((r) => r.body.user.username)
      .sort();
    expect(
      users
        .map((u) => u.username)
        .filter((n) => n.startsWith('burst'))
        .sort(),
    ).toEqual(won);
  });
});

describe('accounts', () => {
  it('signs up a customer, refuses a duplicate username, and logs in', async () => {
    const res = await signup('alice');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ token: expect.stringMatching(/^berth_/), user: { username: 'alice', role: 'customer', email: 'alice@example.com' } });
    expect(JSON.stringify(res.body)).not.toContain(pw('alice'));

    const dup = await signup('alice', 'other-Secret-2');
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'Conflict', field: 'username' });

    const ok = await login('alice', pw('alice'));
    expect(ok.status).toBe(200);
    secrets.push(ok.body.token);
    const me = await new ApiClient(controller.url, ok.body.token, controller.ca).request('GET', '/api/v1/auth/whoami');
    expect(me.body).toMatchObject({ username: 'alice', role: 'customer' });
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('refuses weak passwords, bad usernames and any attempt to sign up as admin', async () => {
    expect((await signup('weak', 'short')).body.error).toMatchObject({ code: 'Invalid', field: 'password' });
    expect((await signup('Bad Name')).body.error).toMatchObject({ code: 'Invalid', field: 'username' });
    const admin = await anon().request('POST', '/api/v1/auth/signup', {
      username: 'mallory',
      email: 'm@example.com',
      password: 'pw-Secret-123',
      role: 'admin',
    });
    expect(admin.status).toBe(400);
    expect((await login('mallory', 'pw-Secret-123')).status).toBe(401);
  });

  it('refuses the reserved names admin, root and system with a 400 naming the username', async () => {
    for (const username of ['admin', 'root', 'system']) {
      const res = await signup(username);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Invalid', field: 'username', message: `username: "${username}" is reserved; choose another` });
    }
    const colon = await signup('system:agent');
    expect(colon.body.error).toMatchObject({ code: 'Invalid', field: 'username' });
  });

  it('answers a wrong password with 401 and locks the user out after repeated failures', async () => {
    await signup('bob');
    const wrong = await login('bob', 'not-the-Password1');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('wrong username or password');
    await login('bob', 'not-the-Password2');
    await login('bob', 'not-the-Password3');
    const locked = await anon().request('POST', '/api/v1/auth/login', { username: 'bob', password: pw('bob') });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TooManyRequests');
    expect(locked.body.error.message).toMatch(/try again in \d+ s/);
    // Other users are not affected by bob's lockout.
    expect((await login('alice', pw('alice'))).status).toBe(200);
  });

  it('expires tokens after the configured TTL and revokes them on logout', async () => {
    const { body } = await login('alice', pw('alice'));
    const client = new ApiClient(controller.url, body.token, controller.ca);
    expect((await client.request('GET', '/api/v1/auth/whoami')).status).toBe(200);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(3000);
    await waitFor(async () => (await client.request('GET', '/api/v1/auth/whoami')).status === 401, { timeoutMs: 10_000, what: 'token expiry' });

    const fresh = new ApiClient(controller.url, (await login('alice', pw('alice'))).body.token, controller.ca);
    expect((await fresh.request('POST', '/api/v1/auth/logout')).status).toBe(200);
    const after = await fresh.request('GET', '/api/v1/reservations');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('Unauthenticated');
  });

  it('stores only hashes: tokens and passwords never appear in the log or the database file', async () => {
    const log = controller.log;
    const db = (await readFile(path.join(controller.dataDir, 'berth.db'))).toString('latin1');
    for (const s of secrets) {
      expect(log).not.toContain(s);
      expect(db).not.toContain(s);
    }
  });
});

describe('the bootstrap admin token', () => {
  const configFile = () => path.join(controller.dataDir, 'berth.config');
  const tokenInConfig = async () => (await currentContext(configFile()))!.token;
  const whoami = (token: string) => new ApiClient(controller.url, token, controller.ca).request('GET', '/api/v1/auth/whoami');
  const rotate = (args: string[] = []) => runCli(['admin', 'rotate-token', '--data-dir', controller.dataDir, ...args]);

  it('expires after BERTH_ADMIN_TOKEN_TTL', async () => {
    const first = await tokenInConfig();
    expect(first).toBe(controller.api.token);
    await waitFor(async () => (await whoami(first)).status === 401, { timeoutMs: 15_000, what: 'the bootstrap token to expire' });
  });

  it('is replaced by `berth admin rotate-token`: a new token in berth.config (0600), the old one revoked at once', async () => {
    const out = await rotate(['--ttl', '1h']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^admin token rotated: written to \S+berth\.config \(expires \S+\); \d+ old token\(s\) revoked\n$/);
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);
    const second = await tokenInConfig();
    expect((await whoami(second)).body).toMatchObject({ username: 'admin', role: 'admin' });
    secrets.push(second);

    expect((await rotate()).code).toBe(0);
    const third = await tokenInConfig();
    expect(third).not.toBe(second);
    expect((await whoami(second)).status).toBe(401); // still within its hour, but revoked
    expect((await whoami(third)).status).toBe(200);
    secrets.push(third);
    // The server address in the config is kept.
    expect((await currentContext(configFile()))?.server).toBe(controller.url);
  });

  it('refuses a malformed --ttl and changes nothing', async () => {
    const before = await readFile(configFile(), 'utf8');
    const bad = await rotate(['--ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ttl: must be a duration such as 30d or 12h, got "soon"');
    expect(await readFile(configFile(), 'utf8')).toBe(before);
  });
});

describe('the berth CLI', () => {
  // Its own controller with the default token lifetime: each CLI run takes seconds here.
  let ctl: ControllerProcess;
  beforeAll(async () => {
    ctl = await startController({ nat: 'userspace' });
  });
  afterAll(async () => {
    await ctl?.stop();
    if (ctl) await removeDir(ctl.dataDir);
  });
  const cli = (args: string[], stdin?: string) =>
    runCli(args, { env: { BERTH_CONFIG: path.join(cliDir, 'config'), BERTH_SERVER: ctl.url, BERTH_CERTIFICATE_AUTHORITY: ctl.caFile }, stdin });
  const login = (username: string, password: string) => new ApiClient(ctl.url, '', ctl.ca).request('POST', '/api/v1/auth/login', { username, password });

  it('signs up, saves the token with mode 0600, and whoami/logout use it', async () => {
    const up = await cli(['signup', '--username', 'carol', '--email', 'carol@example.com', '--password-stdin'], `${pw('carol')}\n`);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/carol \(customer\)/);
    const file = path.join(cliDir, 'config');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await currentContext(file))?.token).toMatch(/^berth_/);

    expect((await cli(['whoami'])).stdout).toMatch(/^carol \(customer\) <carol@example.com>/);
    const out = await cli(['logout']);
    expect(out.code).toBe(0);
    expect(await readFile(file, 'utf8')).not.toMatch(/berth_/); // no token left in the file
    const gone = await cli(['whoami']);
    expect(gone.code).toBe(3);

    const again = await cli(['login', '--username', 'carol', '--password-stdin'], `${pw('carol')}\n`);
    expect(again.code).toBe(0);
    expect((await cli(['whoami'])).stdout).toMatch(/^carol/);
    const wrong = await cli(['login', '--username', 'carol', '--password-stdin'], 'carol-Wrong-1\n');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('wrong username or password');
  });

  it('creates an admin only on the management node, through the store', async () => {
    const created = await runCli(['admin', 'create-user', 'boss', '--admin', '--email', 'boss@example.com', '--password-stdin', '--data-dir', ctl.dataDir], {
      stdin: `${pw('boss')}\n`,
    });
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('user/boss created (admin)');
    const res = await login('boss', pw('boss'));
    expect(res.body.user).toMatchObject({ username: 'boss', role: 'admin' });
    const users = await new ApiClient(ctl.url, res.body.token, ctl.ca).request('GET', '/api/v1/users');
    expect(users.body.items.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['admin', 'boss', 'carol']));
    const dup = await runCli(['admin', 'create-user', 'boss', '--data-dir', ctl.dataDir]);
    expect(dup.code).toBe(5);
  });
});
