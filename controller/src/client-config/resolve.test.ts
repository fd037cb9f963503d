import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Context, DEFAULT_SERVER, upsertContext } from './contexts.ts';
import { defaultConfigPath, updateConfigFile } from './file.ts';
import { knownCaFor, loadClientConfig, resolveClientConfig } from './resolve.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'berth-config-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const env = () => ({ HOME: home });
const save = (path: string, ctx: Context, current: 'always' | 'if-none' = 'always') => updateConfigFile(path, (c) => upsertContext(c, ctx, current));

describe('defaultConfigPath', () => {
  it('uses XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/berth/config');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/berth/config');
    expect(defaultConfigPath({ HOME: '/h' })).toBe('/h/.config/berth/config');
  });
});

describe('resolveClientConfig', () => {
  it('falls back to the local default server and no token', () => {
    expect(resolveClientConfig({ env: env() })).toEqual({ server: DEFAULT_SERVER });
  });

  it('prefers flags over environment over the BERTH_CONFIG file over the default file', () => {
    save(defaultConfigPath(env()), { name: 'd', server: 'http://default:1', token: 'default-token', user: 'ann' });
    const named = join(home, 'named.yaml');
    save(named, { name: 'n', server: 'http://named:1', token: 'named-token' });

    expect(resolveClientConfig({ env: env() })).toMatchObject({ server: 'http://default:1', token: 'default-token', user: 'ann' });
    expect(resolveClientConfig({ env: { ...env(), BERTH_CONFIG: named } })).toEqual({
      server: 'http://named:1',
      token: 'named-token',
      configPath: named,
      context: 'n',
    });
    const withEnv = { ...env(), BERTH_CONFIG: named, BERTH_SERVER: 'http://env:1', BERTH_TOKEN: 'env-token' };
    expect(resolveClientConfig({ env: withEnv })).toMatchObject({ server: 'http://env:1', token: 'env-token' });
    expect(resolveClientConfig({ env: withEnv, flags: { server: 'http://flag:1', token: 'flag-token' } })).toMatchObject({
      server: 'http://flag:1',
      token: 'flag-token',
    });
  });

  it('resolves each field on its own', () => {
    save(defaultConfigPath(env()), { name: 'd', server: 'http://default:1', token: 'file-token' });
    expect(resolveClientConfig({ env: env(), flags: { server: 'http://flag:1' } })).toMatchObject({
      server: 'http://flag:1',
      token: 'file-token',
    });
  });

  it('uses the current context, else the one --context names, else the one BERTH_CONTEXT names', () => {
    const file = defaultConfigPath(env());
    save(file, { name: 'admin', server: 'https://a:1', token: 'admin-token', user: 'admin' });
    save(file, { name: 'carol', server: 'https://a:1', token: 'carol-token', user: 'carol' });
    expect(resolveClientConfig({ env: env() })).toMatchObject({ token: 'carol-token', user: 'carol', context: 'carol' });
    expect(resolveClientConfig({ env: { ...env(), BERTH_CONTEXT: 'admin' } })).toMatchObject({ token: 'admin-token', context: 'admin' });
    expect(resolveClientConfig({ env: { ...env(), BERTH_CONTEXT: 'admin' }, flags: { context: 'carol' } })).toMatchObject({ token: 'carol-token' });
    // Tokens from the environment still win over the chosen context's, as documented.
    expect(resolveClientConfig({ env: { ...env(), BERTH_TOKEN: 'env-token' }, flags: { context: 'admin' } })).toMatchObject({ token: 'env-token' });
  });

  it('refuses an unknown --context or BERTH_CONTEXT, naming the file and its contexts', () => {
    const file = defaultConfigPath(env());
    save(file, { name: 'admin', server: 'https://a:1' });
    expect(() => resolveClientConfig({ env: env(), flags: { context: 'nope' } })).toThrow(`context "nope" not found in config file ${file} (contexts: admin)`);
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONTEXT: 'nope' } })).toThrow('context "nope" not found');
  });

  it('refuses a current-context that names no context and says how to choose one', () => {
    const file = defaultConfigPath(env());
    save(file, { name: 'admin', server: 'https://a:1' });
    writeFileSync(file, stringify({ 'current-context': 'gone', contexts: [{ name: 'admin', server: 'https://a:1' }] }));
    expect(() => resolveClientConfig({ env: env() })).toThrow(
      `config file ${file}: current-context "gone" is not one of its contexts (admin); choose one with \`berth config use-context NAME\``,
    );
    expect(resolveClientConfig({ env: env(), flags: { context: 'admin' } }).context).toBe('admin');
  });

  it('reads a config file of the earlier single-login format', () => {
    const file = join(home, 'old');
    writeFileSync(file, stringify({ server: 'http://127.0.0.1:7070', token: 'old-token', user: 'admin' }));
    expect(resolveClientConfig({ env: { BERTH_CONFIG: file } })).toEqual({
      server: 'http://127.0.0.1:7070',
      token: 'old-token',
      user: 'admin',
      configPath: file,
      context: 'admin@127.0.0.1:7070',
    });
  });

  it('treats empty environment variables as unset', () => {
    expect(resolveClientConfig({ env: { ...env(), BERTH_SERVER: '', BERTH_TOKEN: '', BERTH_CONTEXT: '' } })).toEqual({ server: DEFAULT_SERVER });
  });

  it('refuses a BERTH_CONFIG that does not exist, unless it is to be created', () => {
    const nope = join(home, 'nope');
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: nope } })).toThrow(/does not exist/);
    expect(loadClientConfig({ env: { BERTH_CONFIG: nope }, mustExist: false })).toEqual({ path: nope, file: undefined, context: undefined });
  });

  it('explains a malformed config file', () => {
    const path = join(home, 'bad');
    writeFileSync(path, 'server: [1\n');
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: path } })).toThrow(/is not valid YAML/);
    writeFileSync(path, 'server: 42\n');
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: path } })).toThrow(`config file ${path}: server must be a string`);
  });
});

describe('the CA in the config', () => {
  it('is replaced by --certificate-authority FILE, and garbage in either is an error naming it', async () => {
    const { createCertificateAuthority } = await import('../pki/index.ts');
    const [a, b] = [await createCertificateAuthority(), await createCertificateAuthority()];
    const file = join(home, 'config');
    save(file, { name: 'x', server: 'https://berth.example.com:7070', ca: a.certPem });
    expect(resolveClientConfig({ env: { BERTH_CONFIG: file } }).ca).toBe(a.certPem);
    const caFile = join(home, 'ca.crt');
    writeFileSync(caFile, b.certPem);
    expect(resolveClientConfig({ env: { BERTH_CONFIG: file }, flags: { certificateAuthority: caFile } }).ca).toBe(b.certPem);
    writeFileSync(caFile, 'not a certificate');
    expect(() => resolveClientConfig({ env: { BERTH_CONFIG: file }, flags: { certificateAuthority: caFile } })).toThrow(
      `certificate-authority: ${caFile}: not a PEM certificate`,
    );
    writeFileSync(file, 'server: https://x\ncertificate-authority-data: bm9wZQ==\n');
    expect(() => resolveClientConfig({ env: { BERTH_CONFIG: file } })).toThrow(`config file ${file}: certificate-authority-data: not a PEM certificate`);
  });

  it('is found for a login among the contexts for the same server, never from another server', async () => {
    const { createCertificateAuthority } = await import('../pki/index.ts');
    const { certPem } = await createCertificateAuthority();
    const file = join(home, 'config');
    save(file, { name: 'admin', server: 'https://a:1', ca: certPem, token: 't' });
    save(file, { name: 'other', server: 'https://b:1' });
    const loaded = loadClientConfig({ env: { BERTH_CONFIG: file } });
    expect(loaded.context?.name).toBe('other');
    expect(knownCaFor('https://a:1', loaded, { env: {} })).toBe(certPem);
    expect(knownCaFor('https://b:1', loaded, { env: {} })).toBeUndefined();
    expect(knownCaFor('https://c:1', loaded, { env: {} })).toBeUndefined();
  });
});
