import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readAdminContext, saveAdminContext, saveDevContext } from './admin-context.ts';
import { upsertContext } from './contexts.ts';
import { readConfigFile, updateConfigFile, writeConfigFile } from './file.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-config-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;
const ctx = (name: string, token = `t-${name}`) => ({ name, server: 'https://s:1', user: name, token });

describe('writeConfigFile', () => {
  it('creates missing directories and writes YAML readable only by the owner', () => {
    const path = join(dir, 'a', 'b', 'config');
    writeConfigFile(path, { current: 'x', contexts: [ctx('x', 'secret')] });
    expect(parse(readFileSync(path, 'utf8'))).toEqual({
      'current-context': 'x',
      contexts: [{ name: 'x', server: 'https://s:1', user: 'x', token: 'secret' }],
    });
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, 'a', 'b'))).toBe(0o700);
  });

  it('narrows the mode of a file that existed with wider permissions, and leaves no temporary file', () => {
    const path = join(dir, 'config');
    writeFileSync(path, 'server: x\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    writeConfigFile(path, { contexts: [] });
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config']);
  });

  it('writes through a symlinked config to its target', () => {
    const real = join(dir, 'dotfiles-config');
    writeFileSync(real, '');
    const link = join(dir, 'config');
    symlinkSync(real, link);
    writeConfigFile(link, { current: 'x', contexts: [ctx('x')] });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readConfigFile(real)?.current).toBe('x');
  });

  it('reports a path it cannot write by the file name', () => {
    writeFileSync(join(dir, 'plain-file'), '');
    const path = join(dir, 'plain-file', 'config');
    expect(() => writeConfigFile(path, { contexts: [] })).toThrow(new RegExp(`^cannot write config file ${path}: (ENOTDIR|EEXIST)$`));
  });
});

describe('readConfigFile', () => {
  it('is undefined for a missing file and names the file for a broken one', () => {
    expect(readConfigFile(join(dir, 'none'))).toBeUndefined();
    const path = join(dir, 'config');
    writeFileSync(path, 'contexts: [\n');
    expect(() => readConfigFile(path)).toThrow(`config file ${path} is not valid YAML`);
    writeFileSync(path, stringify({ contexts: [{ name: 'x' }] }));
    expect(() => readConfigFile(path)).toThrow(`config file ${path}: contexts[0] (x): server is required`);
  });
});

describe('updateConfigFile', () => {
  it('changes one context and keeps the rest, converting a file of the earlier format', () => {
    const path = join(dir, 'config');
    writeFileSync(path, stringify({ server: 'https://s:1', token: 'old', user: 'ann' }));
    updateConfigFile(path, (cfg) => upsertContext(cfg, ctx('bob'), 'if-none'));
    expect(readConfigFile(path)).toEqual({
      current: 'ann@s:1',
      contexts: [{ name: 'ann@s:1', server: 'https://s:1', user: 'ann', token: 'old' }, ctx('bob')],
    });
  });

  it('writes nothing when the change is refused', () => {
    const path = join(dir, 'config');
    writeConfigFile(path, { current: 'x', contexts: [ctx('x')] });
    const before = readFileSync(path, 'utf8');
    expect(() =>
      updateConfigFile(path, () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['config']);
  });

  it('waits for another writer holding the lock, and takes over a lock its dead owner left behind', () => {
    const path = join(dir, 'config');
    writeFileSync(`${path}.lock`, '999999\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    updateConfigFile(path, (cfg) => upsertContext(cfg, ctx('x'), 'always'));
    expect(readConfigFile(path)?.current).toBe('x');
    expect(readdirSync(dir)).toEqual(['config']);
  });

  it('gives up on a lock that stays held, naming the lock file', () => {
    const path = join(dir, 'config');
    writeFileSync(`${path}.lock`, '1\n');
    const started = Date.now();
    expect(() => updateConfigFile(path, (cfg) => cfg, { lockWaitMs: 300 })).toThrow(`config file ${path} is locked by another berth command (${path}.lock)`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(readConfigFile(path)).toBeUndefined();
  });
});

describe('the contexts Berth writes itself', () => {
  it('the controller updates its admin context in DATA_DIR/berth.config and keeps other contexts there', () => {
    const path = join(dir, 'berth.config');
    saveAdminContext(path, { server: 'https://127.0.0.1:7070', token: 'a1' });
    updateConfigFile(path, (cfg) => upsertContext(cfg, ctx('carol'), 'always'));
    saveAdminContext(path, { server: 'https://127.0.0.1:7070', token: 'a2' });
    expect(readAdminContext(path)).toEqual({ name: 'admin', server: 'https://127.0.0.1:7070', user: 'admin', token: 'a2' });
    expect(readConfigFile(path)).toMatchObject({ current: 'carol', contexts: [{ name: 'admin' }, ctx('carol')] });
  });

  it('the controller updates the admin login of a berth.config of the earlier format in place', () => {
    const path = join(dir, 'berth.config');
    writeFileSync(path, stringify({ server: 'https://127.0.0.1:7070', token: 'old', user: 'admin' }));
    expect(readAdminContext(path)?.token).toBe('old');
    saveAdminContext(path, { server: 'https://127.0.0.1:7070', token: 'new' });
    expect(readConfigFile(path)?.contexts).toEqual([{ name: 'admin@127.0.0.1:7070', server: 'https://127.0.0.1:7070', user: 'admin', token: 'new' }]);
  });

  it("berth dev adds its context, current only in a config where no context is current, and a restart keeps the user's choice", () => {
    const path = join(dir, 'config');
    expect(saveDevContext(path, { server: 'http://127.0.0.1:7070', token: 'd1' })).toEqual({ name: 'dev', current: true });
    updateConfigFile(path, (cfg) => upsertContext(cfg, ctx('carol'), 'always'));
    // A restart (new token), and a second dev instance on another port.
    expect(saveDevContext(path, { server: 'http://127.0.0.1:7070', token: 'd2' })).toEqual({ name: 'dev', current: false });
    expect(saveDevContext(path, { server: 'http://127.0.0.1:7171', token: 'd3' })).toEqual({ name: 'dev-7171', current: false });
    expect(readConfigFile(path)).toEqual({
      current: 'carol',
      contexts: [
        { name: 'dev', server: 'http://127.0.0.1:7070', user: 'admin', token: 'd2' },
        ctx('carol'),
        { name: 'dev-7171', server: 'http://127.0.0.1:7171', user: 'admin', token: 'd3' },
      ],
    });
  });

  it('berth dev never takes a current context that points at another loopback server', () => {
    const path = join(dir, 'config');
    writeFileSync(path, stringify({ server: 'http://127.0.0.1:9999', token: 'someone-elses', user: 'admin' }));
    expect(saveDevContext(path, { server: 'http://127.0.0.1:7070', token: 'mine' }).current).toBe(false);
    expect(readConfigFile(path)).toMatchObject({ current: 'admin@127.0.0.1:9999', contexts: [{ token: 'someone-elses' }, { name: 'dev', token: 'mine' }] });
  });
});
