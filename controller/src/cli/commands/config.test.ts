// The context commands and the logins that write contexts, in-process against fake ports and a
// real config file in a temporary directory.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readConfigFile, writeConfigFile } from '../../client-config/index.ts';
import { fakeDeps, type FakeHandler } from '../fake-deps.testkit.ts';
import { main } from '../main.ts';

const SERVER = 'http://127.0.0.1:7070';
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ctx-cli-'));
  file = join(dir, 'config');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const admin = { name: 'admin', server: SERVER, user: 'admin', token: 'berth_admin' };
const carol = { name: 'carol@127.0.0.1:7070', server: SERVER, user: 'carol', token: 'berth_carol' };
const seed = () => writeConfigFile(file, { current: 'admin', contexts: [admin, carol] });

/** Fake ports with the config file, no BERTH_SERVER, and the Authorization header of each call. */
function cli(handler: FakeHandler = () => ({ status: 200, body: { apiVersion: 'berth/v1', kind: 'ReservationList', items: [] } }), stdin = '') {
  const { deps, out } = fakeDeps(handler, (m, u) => `${m} ${u.host}${u.pathname}`);
  const auth: string[] = [];
  const fetch = deps.fetch;
  deps.fetch = (async (input, init) => {
    auth.push(String((init?.headers as Record<string, string> | undefined)?.authorization ?? ''));
    return fetch(input, init);
  }) as typeof deps.fetch;
  deps.env = { BERTH_CONFIG: file, HOME: dir };
  deps.readStdin = async () => stdin;
  return { deps, out, auth };
}

describe('berth config get-contexts / current-context', () => {
  it('lists every context with the current one starred, and never prints a token', async () => {
    seed();
    const { deps, out } = cli();
    expect(await main(['config', 'get-contexts'], deps)).toBe(0);
    expect(out.stdout).toBe(
      [
        'CURRENT   NAME                   USER    SERVER',
        `*         admin                  admin   ${SERVER}`,
        `          carol@127.0.0.1:7070   carol   ${SERVER}`,
        '',
      ].join('\n'),
    );
    expect(out.stdout).not.toContain('berth_');
    expect(await main(['config', 'get-contexts', '-o', 'name'], deps)).toBe(0);
    expect(out.stdout).toContain('admin\ncarol@127.0.0.1:7070\n');
    expect(await main(['config', 'current-context'], deps)).toBe(0);
    expect(out.stdout.endsWith('admin\n')).toBe(true);
  });

  it('lists the single login of a config file of the earlier format as one context', async () => {
    writeFileSync(file, stringify({ server: SERVER, token: 'berth_old', user: 'admin' }));
    const { deps, out } = cli();
    expect(await main(['config', 'get-contexts', '-o', 'name'], deps)).toBe(0);
    expect(out.stdout).toBe('admin@127.0.0.1:7070\n');
  });

  it('says there is no config file or no current context, with exit 4', async () => {
    const none = cli();
    expect(await main(['config', 'current-context'], none.deps)).toBe(4);
    expect(none.out.stderr).toBe(`error: no config file at ${file}: \`berth login\` or \`berth signup\` creates one\n`);
    writeConfigFile(file, { contexts: [admin] });
    const unset = cli();
    expect(await main(['config', 'current-context'], unset.deps)).toBe(4);
    expect(unset.out.stderr).toContain('no current context in');
  });

  it('names the file and the problem when the file is broken', async () => {
    writeFileSync(file, stringify({ contexts: [{ name: 'x', server: SERVER, token: ['a'] }] }));
    const { deps, out } = cli();
    expect(await main(['config', 'get-contexts'], deps)).toBe(2);
    expect(out.stderr).toBe(`error: config file ${file}: contexts[0] (x): token must be a string\n`);
  });
});

describe('berth config use-context / delete-context / rename-context', () => {
  it('use-context switches who later commands act as', async () => {
    seed();
    const first = cli();
    expect(await main(['get', 'reservations'], first.deps)).toBe(0);
    expect(await main(['config', 'use-context', carol.name], first.deps)).toBe(0);
    expect(first.out.stdout).toContain(`Switched to context "${carol.name}" (carol on ${SERVER}).\n`);
    expect(await main(['get', 'reservations'], first.deps)).toBe(0);
    expect(first.auth).toEqual(['Bearer berth_admin', 'Bearer berth_carol']);
    expect(readConfigFile(file)?.current).toBe(carol.name);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses an unknown context with exit 4, naming the known ones, and changes nothing', async () => {
    seed();
    const before = readFileSync(file, 'utf8');
    const { deps, out } = cli();
    expect(await main(['config', 'use-context', 'nope'], deps)).toBe(4);
    expect(out.stderr).toBe(`error: context "nope" not found in config file ${file} (contexts: admin, ${carol.name})\n`);
    expect(await main(['config', 'delete-context', 'nope'], deps)).toBe(4);
    expect(await main(['config', 'rename-context', 'admin', carol.name], deps)).toBe(5);
    expect(await main(['config', 'rename-context', 'admin', 'bad name'], deps)).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('deletes a context, saying when none is current any more', async () => {
    seed();
    const { deps, out } = cli();
    expect(await main(['config', 'delete-context', carol.name], deps)).toBe(0);
    expect(out.stdout).toBe(`deleted context ${carol.name} from ${file}\n`);
    expect(await main(['config', 'delete-context', 'admin'], deps)).toBe(0);
    expect(out.stdout).toContain('deleted context admin from');
    expect(out.stdout).toContain('no context is current now');
    expect(readConfigFile(file)).toEqual({ contexts: [] });
  });

  it('renames a context, the current one following', async () => {
    seed();
    const { deps } = cli();
    expect(await main(['config', 'rename-context', 'admin', 'prod-admin'], deps)).toBe(0);
    expect(readConfigFile(file)).toMatchObject({ current: 'prod-admin', contexts: [{ name: 'prod-admin', token: 'berth_admin' }, carol] });
  });
});

describe('--context and BERTH_CONTEXT', () => {
  it('choose the context for one command without changing the current one', async () => {
    seed();
    const { deps, auth } = cli();
    expect(await main(['--context', carol.name, 'get', 'reservations'], deps)).toBe(0);
    deps.env.BERTH_CONTEXT = carol.name;
    expect(await main(['get', 'reservations'], deps)).toBe(0);
    expect(await main(['get', 'reservations', '--context', 'admin'], deps)).toBe(0);
    expect(auth).toEqual(['Bearer berth_carol', 'Bearer berth_carol', 'Bearer berth_admin']);
    expect(readConfigFile(file)?.current).toBe('admin');
  });

  it('refuse a context that does not exist before anything is sent', async () => {
    seed();
    const { deps, out } = cli();
    expect(await main(['--context', 'nope', 'get', 'reservations'], deps)).toBe(4);
    expect(out.stderr).toContain('context "nope" not found');
    expect(out.calls).toEqual([]);
  });
});

describe('signup, login and logout write the context of their user', () => {
  const issued = (username: string, role = 'customer') => ({
    status: 200,
    body: { token: `berth_${username}_new`, expiresAt: '2026-01-08T00:00:00Z', user: { username, role } },
  });

  it('signup adds a context for the new user and makes it current, leaving the admin context as it was', async () => {
    writeConfigFile(file, { current: 'admin', contexts: [admin] });
    const { deps, out } = cli(() => issued('dave'), 'Pw-dave-123\n');
    expect(await main(['signup', '--username', 'dave', '--email', 'dave@example.com', '--password-stdin'], deps)).toBe(0);
    expect(out.stdout).toContain(`token saved in ${file} as context dave@127.0.0.1:7070 (now current)`);
    expect(readConfigFile(file)).toEqual({
      current: 'dave@127.0.0.1:7070',
      contexts: [admin, { name: 'dave@127.0.0.1:7070', server: SERVER, user: 'dave', token: 'berth_dave_new' }],
    });
  });

  it('login again updates the context that holds that user on that server, even renamed', async () => {
    writeConfigFile(file, { current: 'admin', contexts: [admin, { ...carol, name: 'mine' }] });
    const { deps } = cli(() => issued('carol'), 'Pw-carol-123\n');
    expect(await main(['login', '--username', 'carol', '--password-stdin'], deps)).toBe(0);
    expect(readConfigFile(file)).toEqual({ current: 'mine', contexts: [admin, { ...carol, name: 'mine', token: 'berth_carol_new' }] });
  });

  it("logout revokes the current context's token and removes only that token", async () => {
    writeConfigFile(file, { current: carol.name, contexts: [admin, carol] });
    const { deps, out } = cli(() => ({ status: 200, body: {} }));
    expect(await main(['logout'], deps)).toBe(0);
    expect(out.calls).toEqual(['POST 127.0.0.1:7070/api/v1/auth/logout']);
    expect(readConfigFile(file)).toEqual({ current: carol.name, contexts: [admin, { name: carol.name, server: SERVER, user: 'carol' }] });
  });

  it('logout with a token from BERTH_TOKEN leaves the file alone', async () => {
    seed();
    const before = readFileSync(file, 'utf8');
    const { deps } = cli(() => ({ status: 200, body: {} }));
    deps.env.BERTH_TOKEN = 'berth_other';
    expect(await main(['logout'], deps)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
