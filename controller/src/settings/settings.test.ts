import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { DEFAULT_CONFIG } from './config.ts';
import { DEFAULT_DISRUPTION_POLICY } from '../reconcile/eviction-limiter.ts';
import { DEFAULT_PORT_RANGES } from '../ports/index.ts';
import {
  CONTROLLER_PROFILE,
  DEV_PROFILE,
  SETTINGS,
  SETTING_KEYS,
  addSettingOptions,
  flagOf,
  offeredKeys,
  renderSettingsMarkdown,
  resolveSettings,
  type Setting,
  type SettingKey,
} from './index.ts';
import { resolveControllerConfig } from './controller-config.ts';

function withFile<T>(yaml: string, f: (file: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-settings-'));
  try {
    const file = path.join(dir, 'controller.yaml');
    writeFileSync(file, yaml);
    return f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function failure(f: () => unknown): BerthError {
  try {
    f();
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('the settings table', () => {
  it('declares every setting once, with a distinct env var and a flag that commander maps back to its key', () => {
    const envs = SETTING_KEYS.map((k) => SETTINGS[k].env);
    expect(new Set(envs).size).toBe(envs.length);
    const cmd = addSettingOptions(new Command('controller'), CONTROLLER_PROFILE);
    for (const key of offeredKeys(CONTROLLER_PROFILE)) {
      expect(cmd.options.find((o) => o.long === flagOf(key))?.attributeName()).toBe(key);
    }
  });

  it('keeps the defaults of the modules that own them', () => {
    const s = resolveSettings({});
    expect({ unhealthyThreshold: s.unhealthyThreshold, normalRate: s.evictionRate, disruptedRate: s.disruptedEvictionRate }).toEqual(DEFAULT_DISRUPTION_POLICY);
    expect({ nat: s.publicPorts, node: s.nodePorts }).toEqual(DEFAULT_PORT_RANGES);
    expect(s).toMatchObject({ port: 7070, grpcPort: 7071, host: '0.0.0.0', dataDir: '/var/lib/berth', scheduler: 'min-ram-ratio', metricsSampleMs: 10_000 });
    // An embedded controller (tests, dev) listens on loopback; the rest is the table's.
    expect(DEFAULT_CONFIG).toMatchObject({ httpHost: '127.0.0.1', httpPort: 7070, grpcPort: 7071, heartbeatIntervalMs: 5_000, nodeGraceMs: 20_000 });
  });
});

describe('resolveSettings: flag > env > YAML file > default', () => {
  it('takes each source in order, for every kind of setting', () => {
    withFile(
      'port: 7001\nnodeGrace: 40s\nscheduler: spread\nagentsBehindNat: true\npublicPorts: 31000-31999\nheapGrowth: 50\ntlsSan: [a.example.com, b.example.com]\n',
      (file) => {
        const env = { BERTH_PORT: '7002', BERTH_NODE_GRACE: '30s', BERTH_CONTROLLER_CONFIG: file };
        const s = resolveSettings({ flags: { port: '7003' }, env });
        expect(s).toMatchObject({
          port: 7003,
          nodeGrace: 30_000,
          scheduler: 'spread',
          agentsBehindNat: true,
          publicPorts: { min: 31000, max: 31999 },
          heapGrowth: 50,
          tlsSan: 'a.example.com,b.example.com',
          grpcPort: 7071,
        });
        // --config wins over BERTH_CONTROLLER_CONFIG; an empty value counts as unset.
        expect(resolveSettings({ flags: { config: file, port: '' }, env: { BERTH_PORT: '' } }).port).toBe(7001);
      },
    );
  });

  it('reads the tuning, account and storage settings from flags too', () => {
    const s = resolveControllerConfig({
      flags: { metricsSampleMs: '500', tokenTtl: '1h', storageHost: '10.0.0.2', storageKey: '/k', evictionRate: '5' },
      env: {},
    });
    expect(s).toMatchObject({
      metricsSampleMs: 500,
      accounts: { tokenTtlMs: 3_600_000 },
      storage: { host: '10.0.0.2', port: 22, user: 'berth-admin', keyFile: '/k' },
      disruption: { normalRate: 5 },
    });
  });
});

describe('a bad value is an error naming the setting and the value', () => {
  const cases: Array<[SettingKey, string]> = [
    ['port', '70000'],
    ['publicAddress', 'example.com'],
    ['nat', 'magic'],
    ['scheduler', 'random'],
    ['nodeGrace', 'soon'],
    ['publicPorts', '40000-30000'],
    ['metricsSampleMs', '50'],
    ['metricsSampleMs', 'often'],
    ['heapGrowth', '12.5'],
    ['unhealthyThreshold', '2'],
    ['agentsBehindNat', 'yes'],
    ['loginMaxFailures', '0'],
    ['logLevel', 'loud'],
    ['tls', 'maybe'],
  ];
  it.each(cases)('%s = %s, from a flag, the environment or the file', (key, bad) => {
    const s = SETTINGS[key] as Setting<unknown>;
    const fromFlag = failure(() => resolveSettings({ flags: { [key]: bad }, env: {} }));
    expect(fromFlag.message).toMatch(new RegExp(`^${key}: must be .*, got "${bad.replace(/[.]/g, '\\.')}" \\(given as ${flagOf(key)}\\)$`));
    expect(fromFlag.field).toBe(key);
    const fromEnv = failure(() => resolveSettings({ env: { [s.env]: bad } }));
    expect(fromEnv.message).toMatch(new RegExp(`^${s.env}: must be .*, got "`));
    expect(fromEnv.field).toBe(key);
    withFile(`${key}: "${bad}"\n`, (file) => {
      const fromFile = failure(() => resolveSettings({ flags: { config: file }, env: {} }));
      expect(fromFile.message).toMatch(new RegExp(`^${key}: must be .*, got ".*" \\(in ${file.replace(/[.]/g, '\\.')}\\)$`));
    });
  });

  it('refuses a bad BERTH_METRICS_SAMPLE_MS rather than ignoring it', () => {
    expect(() => resolveControllerConfig({ env: { BERTH_METRICS_SAMPLE_MS: 'fast' } })).toThrow(
      'BERTH_METRICS_SAMPLE_MS: must be a whole number of milliseconds of at least 100, got "fast"',
    );
  });

  it('names an unreadable or malformed config file', () => {
    expect(failure(() => resolveSettings({ flags: { config: '/nonexistent/berth.yaml' } })).message).toMatch(/^config: cannot read \/nonexistent\/berth\.yaml/);
    withFile('- a\n- b\n', (file) => expect(failure(() => resolveSettings({ flags: { config: file } })).message).toMatch(/must be a YAML mapping/));
  });

  it('refuses a config file key that is no setting, suggesting the one it was likely meant to be', () => {
    withFile('nodeGrace: 30s\nnodeGraec: 40s\n', (file) => {
      const err = failure(() => resolveSettings({ flags: { config: file } }));
      expect(err.message).toBe(
        `config: ${file} has no setting "nodeGraec" (did you mean "nodeGrace"?); its keys are the camelCase names of the flags (berth controller --help)`,
      );
      expect(err.field).toBe('config');
    });
    withFile('colour: blue\n', (file) => expect(failure(() => resolveSettings({ flags: { config: file } })).message).not.toMatch(/did you mean/));
  });
});

describe('berth dev: the controller settings under its own overrides', () => {
  it('listens on loopback over plain HTTP with SQLite in ~/.berth, whatever the sources say', () => {
    const env = { BERTH_HOST: '0.0.0.0', BERTH_TLS: 'auto', DATABASE_URL: 'postgresql://x/y', BERTH_GRPC_PORT: '9999', BERTH_AGENTS_BEHIND_NAT: 'true' };
    const c = resolveControllerConfig({ env }, DEV_PROFILE);
    expect(c).toMatchObject({
      httpHost: '127.0.0.1',
      grpcHost: '127.0.0.1',
      apiTls: { mode: 'off' },
      grpcPort: 0,
      databaseUrl: undefined,
      agentsBehindNat: false,
      httpPort: 7070,
    });
    expect(c.dataDir).toBe(path.join(os.homedir(), '.berth'));
    expect(resolveControllerConfig({ env: { BERTH_DATA_DIR: '/tmp/d' } }, DEV_PROFILE).dataDir).toBe('/tmp/d');
  });

  it('honours the scheduler, storage, timing and account settings', () => {
    const c = resolveControllerConfig(
      {
        flags: { scheduler: 'binpack', port: '7170' },
        env: {
          BERTH_STORAGE_HOST: 's1',
          BERTH_STORAGE_KEY: '/k',
          BERTH_NODE_GRACE: '8s',
          BERTH_METRICS_SAMPLE_MS: '500',
          BERTH_TOKEN_TTL: '2h',
          BERTH_PUBLIC_PORTS: '31000-31100',
        },
      },
      DEV_PROFILE,
    );
    expect(c).toMatchObject({
      strategy: 'binpack',
      httpPort: 7170,
      storage: { host: 's1' },
      nodeGraceMs: 8_000,
      heartbeatIntervalMs: 2_000,
      metricsSampleMs: 500,
      accounts: { tokenTtlMs: 7_200_000 },
      portRanges: { nat: { min: 31000, max: 31100 } },
    });
  });

  it('offers no flag for what it fixes', () => {
    const dev = offeredKeys(DEV_PROFILE);
    for (const fixed of ['host', 'tls', 'tlsCert', 'grpcPort', 'databaseUrl', 'agentsBehindNat']) expect(dev).not.toContain(fixed);
    expect(dev).toEqual(expect.arrayContaining(['scheduler', 'storageHost', 'nodeGrace', 'metricsSampleMs', 'port', 'dataDir']));
  });
});

describe('help and README', () => {
  function helpOf(profile: typeof DEV_PROFILE): string {
    return addSettingOptions(new Command('x').configureHelp({ helpWidth: 10_000 }), profile).helpInformation();
  }

  it('berth controller --help lists every setting with its env var and default', () => {
    const help = helpOf(CONTROLLER_PROFILE);
    for (const key of offeredKeys(CONTROLLER_PROFILE)) {
      const s = SETTINGS[key] as Setting<unknown>;
      const line = help.split('\n').find((l) => l.trimStart().startsWith(flagOf(key)));
      expect(line, key).toBeDefined();
      expect(line).toContain(`env ${s.env}`);
      if (s.default !== undefined) expect(line).toContain('default ');
    }
    expect(help).toContain('--config <file>');
    expect(help).toContain('BERTH_CONTROLLER_CONFIG');
  });

  it("berth dev --help shows dev's defaults", () => {
    const help = helpOf(DEV_PROFILE);
    expect(help).toContain(`default ${path.join(os.homedir(), '.berth')}`);
    expect(help).not.toContain('--tls ');
  });

  it('the README lists the table as it is (npm run settings:readme regenerates it)', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const begin = readme.indexOf('<!-- controller-settings:begin');
    const end = readme.indexOf('<!-- controller-settings:end -->') + '<!-- controller-settings:end -->'.length;
    expect(begin).toBeGreaterThan(0);
    expect(readme.slice(begin, end)).toBe(renderSettingsMarkdown());
  });
});
