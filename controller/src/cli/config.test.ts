import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SERVER, defaultConfigPath, resolveClientConfig, writeClientConfig, writeDevClientConfig } from './config.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'berth-config-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('defaultConfigPath', () => {
  it('uses XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/berth/config');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/berth/config');
    expect(defaultConfigPath({ HOME: '/h' })).toBe('/h/.config/berth/config');
  });
});

describe('resolveClientConfig', () => {
  const env = () => ({ HOME: home });

  it('falls back to the local default server and no token', () => {
    expect(resolveClientConfig({ env: env() })).toEqual({ server: DEFAULT_SERVER });
  });

  it('prefers flags over environment over the BERTH_CONFIG file over the default file', () => {
    writeClientConfig(defaultConfigPath(env()), { server: 'http://default:1', token: 'default-token', user: 'ann' });
    const named = join(home, 'named.yaml');
    writeClientConfig(named, { server: 'http://named:1', token: 'named-token' });

    expect(resolveClientConfig({ env: env() })).toMatchObject({ server: 'http://default:1', token: 'default-token', user: 'ann' });
    expect(resolveClientConfig({ env: { ...env(), BERTH_CONFIG: named } })).toEqual({
      server: 'http://named:1',
      token: 'named-token',
      configPath: named,
    });
    const withEnv = { ...env(), BERTH_CONFIG: named, BERTH_SERVER: 'http://env:1', BERTH_TOKEN: 'env-token' };
    expect(resolveClientConfig({ env: withEnv })).toMatchObject({ server: 'http://env:1', token: 'env-token' });
    expect(resolveClientConfig({ env: withEnv, flags: { server: 'http://flag:1', token: 'flag-token' } })).toMatchObject({
      server: 'http://flag:1',
      token: 'flag-token',
    });
  });

  it('resolves each field on its own', () => {
    writeClientConfig(defaultConfigPath(env()), { server: 'http://default:1', token: 'file-token' });
    expect(resolveClientConfig({ env: env(), flags: { server: 'http://flag:1' } })).toMatchObject({
      server: 'http://flag:1',
      token: 'file-token',
    });
  });

  it('treats empty environment variables as unset', () => {
    expect(resolveClientConfig({ env: { ...env(), BERTH_SERVER: '', BERTH_TOKEN: '' } })).toEqual({ server: DEFAULT_SERVER });
  });

  it('refuses a BERTH_CONFIG that does not exist', () => {
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: join(home, 'nope') } })).toThrow(/does not exist/);
  });

  it('explains a malformed config file', () => {
    const path = join(home, 'bad');
    writeFileSync(path, 'server: [1\n');
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: path } })).toThrow(/is not valid YAML/);
    writeFileSync(path, 'server: 42\n');
    expect(() => resolveClientConfig({ env: { ...env(), BERTH_CONFIG: path } })).toThrow(/server must be a string/);
  });
});

describe('writeClientConfig', () => {
  it('creates missing directories and writes YAML readable only by the owner', () => {
    const path = join(home, 'a', 'b', 'config');
    writeClientConfig(path, { server: 'http://127.0.0.1:7070', token: 'secret' });
    expect(parse(readFileSync(path, 'utf8'))).toEqual({ server: 'http://127.0.0.1:7070', token: 'secret' });
    expect(mode(path)).toBe(0o600);
  });

  it('narrows the mode of a file that existed with wider permissions', () => {
    const path = join(home, 'config');
    writeFileSync(path, 'server: x\n', { mode: 0o644 });
    writeClientConfig(path, { server: 'http://127.0.0.1:7070' });
    expect(mode(path)).toBe(0o600);
  });
});

describe('writeDevClientConfig', () => {
  const env = () => ({ HOME: home });
  const dev = { server: 'http://127.0.0.1:7070', token: 'dev-token' };

  it('writes DATA_DIR/berth.config and makes it the default', () => {
    const dataDir = join(home, 'data');
    const result = writeDevClientConfig(dataDir, dev, { env: env() });
    expect(result).toEqual({ path: join(dataDir, 'berth.config'), defaultPath: defaultConfigPath(env()), defaultWritten: true });
    expect(resolveClientConfig({ env: env() })).toMatchObject(dev);
    expect(resolveClientConfig({ env: { ...env(), BERTH_CONFIG: result.path } })).toMatchObject(dev);
    expect(mode(result.path)).toBe(0o600);
  });

  it('replaces an earlier dev default but not a default that points at a remote cluster', () => {
    writeClientConfig(defaultConfigPath(env()), { server: 'http://localhost:9999', token: 'old' });
    expect(writeDevClientConfig(join(home, 'd1'), dev, { env: env() }).defaultWritten).toBe(true);

    const prod = { server: 'https://berth.example.com', token: 'prod' };
    writeClientConfig(defaultConfigPath(env()), prod);
    expect(writeDevClientConfig(join(home, 'd2'), dev, { env: env() }).defaultWritten).toBe(false);
    expect(resolveClientConfig({ env: env() })).toMatchObject(prod);
    expect(writeDevClientConfig(join(home, 'd3'), dev, { env: env(), force: true }).defaultWritten).toBe(true);
    expect(resolveClientConfig({ env: env() })).toMatchObject(dev);
  });
});

describe('the CA in the config', () => {
  it('is written as certificate-authority-data (base64 PEM) and read back as PEM', async () => {
    const { createCertificateAuthority } = await import('../pki/index.ts');
    const { certPem } = await createCertificateAuthority();
    const file = join(home, 'config');
    writeClientConfig(file, { server: 'https://berth.example.com:7070', token: 't', ca: certPem });
    const raw = parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Buffer.from(raw['certificate-authority-data'], 'base64').toString()).toBe(certPem);
    expect(resolveClientConfig({ env: { BERTH_CONFIG: file } }).ca).toBe(certPem);
  });

  it('is replaced by --certificate-authority FILE, and garbage in either is an error naming it', async () => {
    const { createCertificateAuthority } = await import('../pki/index.ts');
    const [a, b] = [await createCertificateAuthority(), await createCertificateAuthority()];
    const file = join(home, 'config');
    writeClientConfig(file, { server: 'https://berth.example.com:7070', ca: a.certPem });
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
});
