// The one resolver: flag > environment > YAML config file > default, per setting of table.ts.
// A bad value is a BerthError naming the setting as it was given (the env var, or the key, with
// the flag or file it came from) and the value; its field is the setting's key.
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { BerthError } from '../errors/index.ts';
import { yaml } from '../lib/lazy-yaml.ts';
import { Bad, type Kind } from './kinds.ts';
import { CONFIG_ENV, SETTINGS, SETTING_KEYS, flagOf, type Setting, type SettingKey, type Settings } from './table.ts';

export interface Sources {
  /** Parsed flags, by setting key (commander's camelCase names); `config` names the YAML file. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** The YAML file's mapping, when already read; else read from flags.config / BERTH_CONTROLLER_CONFIG. */
  file?: Record<string, unknown>;
  /** Where `file` was read from, for error messages. */
  fileName?: string;
}

/**
 * What a command makes of the table: `fixed` settings ignore every source (and are not offered
 * as flags), `defaults` replace the table's defaults.
 */
export interface Profile {
  fixed: Partial<Settings>;
  defaults: Partial<Settings>;
}

export const CONTROLLER_PROFILE: Profile = { fixed: {}, defaults: {} };

/**
 * `berth dev`: everything on this machine. Loopback and plain HTTP (allowed on loopback only),
 * the in-process agent on any free port, SQLite in ~/.berth (or BERTH_DATA_DIR), an agent that is
 * never behind NAT. Every other setting (scheduler, storage node, timing, accounts) applies.
 */
export const DEV_PROFILE: Profile = {
  fixed: {
    host: '127.0.0.1',
    tls: 'off',
    tlsCert: undefined,
    tlsKey: undefined,
    tlsSan: undefined,
    grpcPort: 0,
    databaseUrl: undefined,
    agentsBehindNat: false,
  },
  defaults: { dataDir: path.join(os.homedir(), '.berth') },
};

export function readSettingsFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = yaml().parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new BerthError('Invalid', `config: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`, 'config');
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new BerthError('Invalid', `config: ${file} must be a YAML mapping of settings`, 'config');
  // A misspelt key would otherwise be dropped without a word and its setting left at the default.
  const unknown = Object.keys(parsed as Record<string, unknown>).filter((k) => !(SETTING_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    const hint = closestKey(unknown[0]);
    throw new BerthError(
      'Invalid',
      `config: ${file} has no setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}; its keys are the camelCase names of the flags (berth controller --help)`,
      'config',
    );
  }
  return parsed as Record<string, unknown>;
}

/** The setting key nearest to a misspelt one, when it is near enough to be a likely typo. */
function closestKey(given: string): string | undefined {
  const lower = given.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const key of SETTING_KEYS) {
    const d = editDistance(lower, key.toLowerCase());
    if (!best || d < best.d) best = { key, d };
  }
  return best && best.d <= Math.max(2, Math.floor(given.length / 4)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The YAML file the sources name, if any. */
export function settingsFileOf(src: Sources): { name?: string; values: Record<string, unknown> } {
  if (src.file) return { name: src.fileName, values: src.file };
  const name = nonEmpty(src.flags?.config) ?? nonEmpty(src.env?.[CONFIG_ENV]);
  return name ? { name, values: readSettingsFile(name) } : { values: {} };
}

function nonEmpty(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = Array.isArray(v) ? v.join(',') : String(v);
  return s.trim() === '' ? undefined : s;
}

/** Resolves `keys` (all by default) from the sources under a profile. */
export function resolveSettings<K extends SettingKey = SettingKey>(
  src: Sources,
  profile: Profile = CONTROLLER_PROFILE,
  keys: readonly K[] = SETTING_KEYS as K[],
): Pick<Settings, K> {
  const file = settingsFileOf(src);
  const env = src.env ?? {};
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const key of keys) {
    if (key in profile.fixed) {
      out[key] = profile.fixed[key];
      continue;
    }
    const s = SETTINGS[key] as Setting<unknown>;
    const given: Array<[string | undefined, string, string]> = [
      [nonEmpty(src.flags?.[key]), key, `given as ${flagOf(key)}`],
      [nonEmpty(env[s.env]), s.env, ''],
      [nonEmpty(file.values[key]), key, `in ${file.name ?? 'the config file'}`],
    ];
    const hit = given.find(([v]) => v !== undefined);
    if (!hit) {
      out[key] = key in profile.defaults ? profile.defaults[key] : s.default;
      continue;
    }
    const [raw, name, where] = hit;
    try {
      out[key] = (s.kind as Kind<unknown>).parse(raw!);
    } catch (err) {
      if (!(err instanceof Bad)) throw err;
      throw new BerthError('Invalid', `${name}: ${err.message}, got "${raw}"${where ? ` (${where})` : ''}`, key);
    }
  }
  return out as Pick<Settings, K>;
}

/**
 * `keys` from the sources, for a command that takes a few settings of the controller (`berth
 * admin`): every value its config file holds is checked first, so the file the controller would
 * refuse is refused here too, with the same message, before anything is done.
 */
export function resolveSomeSettings<K extends SettingKey>(src: Sources, profile: Profile, keys: readonly K[]): Pick<Settings, K> {
  const file = settingsFileOf(src);
  const inFile = { file: file.values, fileName: file.name };
  resolveSettings(
    inFile,
    profile,
    SETTING_KEYS.filter((k) => file.values[k] !== undefined),
  );
  return resolveSettings({ ...src, ...inFile }, profile, keys);
}
