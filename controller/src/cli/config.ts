// Where the CLI finds its server and token. Per field: flags > BERTH_SERVER/BERTH_TOKEN > the
// config file. The file is BERTH_CONFIG when set (like KUBECONFIG it replaces the default, and
// must exist), else $XDG_CONFIG_HOME/berth/config or ~/.config/berth/config (optional).
// The CA the server is verified with travels in the file as `certificate-authority-data` (base64
// PEM, as in a kubeconfig), or comes from --certificate-authority / BERTH_CERTIFICATE_AUTHORITY.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { BerthError } from '../errors/index.ts';
import { parseFlatYaml, yaml } from '../lib/lazy-yaml.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export interface ClientConfig {
  server: string;
  token?: string;
  user?: string;
  /** PEM of the CA that signs the server's certificate (`certificate-authority-data` in the file). */
  ca?: string;
}

const CA_KEY = 'certificate-authority-data';

export interface ResolvedClientConfig extends ClientConfig {
  /** The config file that was read, if any. */
  configPath?: string;
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

export function defaultConfigPath(env: Env = process.env): string {
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(nonEmpty(env.HOME) ?? homedir(), '.config');
  return join(base, 'berth', 'config');
}

/** Reads a config file; undefined when it does not exist. Malformed content is an Invalid error. */
export function readClientConfig(path: string): Partial<ClientConfig> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BerthError('Invalid', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseFlatYaml(text) ?? yaml().parse(text);
  } catch (err) {
    throw new BerthError('Invalid', `config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new BerthError('Invalid', `config file ${path} must be a mapping with server and token`);
  }
  const out: Partial<ClientConfig> = {};
  for (const key of ['server', 'token', 'user'] as const) {
    const value = (data as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new BerthError('Invalid', `config file ${path}: ${key} must be a string`, key);
    out[key] = value;
  }
  const caData = (data as Record<string, unknown>)[CA_KEY];
  if (caData !== undefined && caData !== null) {
    if (typeof caData !== 'string') throw new BerthError('Invalid', `config file ${path}: ${CA_KEY} must be a string (base64 of a PEM certificate)`, CA_KEY);
    out.ca = parseCaPem(Buffer.from(caData, 'base64').toString('utf8'), `config file ${path}: ${CA_KEY}`);
  }
  return out;
}

/** The text as PEM certificates, or an Invalid error naming where it came from. */
export function parseCaPem(text: string, where: string): string {
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (certs.length === 0) throw new Error('none');
    for (const c of certs) new X509Certificate(c);
  } catch {
    throw new BerthError('Invalid', `${where}: not a PEM certificate`, 'certificateAuthority');
  }
  return `${certs.join('\n')}\n`;
}

/** --certificate-authority FILE: the PEM file an admin handed out. */
export function readCaFile(file: string, what = 'certificate-authority'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError('Invalid', `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'certificateAuthority');
  }
  return parseCaPem(text, `${what}: ${file}`);
}

export interface ResolveOptions {
  flags?: { server?: string; token?: string; certificateAuthority?: string };
  env?: Env;
}

export function resolveClientConfig(opts: ResolveOptions = {}): ResolvedClientConfig {
  const env = opts.env ?? process.env;
  const flags = opts.flags ?? {};
  const explicit = nonEmpty(env.BERTH_CONFIG);
  const configPath = explicit ?? defaultConfigPath(env);
  const file = readClientConfig(configPath);
  if (explicit && !file) throw new BerthError('Invalid', `config file ${explicit} (from BERTH_CONFIG) does not exist`);
  const resolved: ResolvedClientConfig = {
    server: nonEmpty(flags.server) ?? nonEmpty(env.BERTH_SERVER) ?? nonEmpty(file?.server) ?? DEFAULT_SERVER,
  };
  const token = nonEmpty(flags.token) ?? nonEmpty(env.BERTH_TOKEN) ?? nonEmpty(file?.token);
  if (token) resolved.token = token;
  if (file?.user) resolved.user = file.user;
  const caFile = nonEmpty(flags.certificateAuthority) ?? nonEmpty(env.BERTH_CERTIFICATE_AUTHORITY);
  const ca = caFile ? readCaFile(caFile) : file?.ca;
  if (ca) resolved.ca = ca;
  if (file) resolved.configPath = configPath;
  return resolved;
}

/** Writes atomically with mode 0600 (it holds a token), creating parent directories (0700). */
export function writeClientConfig(path: string, cfg: ClientConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const body: Record<string, string> = { server: cfg.server };
  if (cfg.ca) body[CA_KEY] = Buffer.from(cfg.ca, 'utf8').toString('base64');
  if (cfg.token) body.token = cfg.token;
  if (cfg.user) body.user = cfg.user;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, yaml().stringify(body), { mode: 0o600 });
  chmodSync(tmp, 0o600); // the umask may have narrowed it, never widened: make it exact
  renameSync(tmp, path);
}

export interface DevClientConfigResult {
  /** DATA_DIR/berth.config, always written. */
  path: string;
  defaultPath: string;
  /** False when the default file points at a non-loopback server and `force` was not given. */
  defaultWritten: boolean;
}

/**
 * For `berth dev`: writes DATA_DIR/berth.config and makes it the default client config. An
 * existing default that points at a real (non-loopback) cluster is left alone unless forced, so
 * trying Berth locally never silently repoints a user's CLI away from production.
 */
export function writeDevClientConfig(dataDir: string, cfg: ClientConfig, opts: { env?: Env; force?: boolean } = {}): DevClientConfigResult {
  const path = join(dataDir, 'berth.config');
  writeClientConfig(path, cfg);
  const defaultPath = defaultConfigPath(opts.env ?? process.env);
  let existing: Partial<ClientConfig> | undefined;
  try {
    existing = readClientConfig(defaultPath);
  } catch {
    existing = undefined; // an unreadable default is no one's production config
  }
  const replaceable = opts.force || !existing?.server || isLoopbackUrl(existing.server);
  if (replaceable) writeClientConfig(defaultPath, cfg);
  return { path, defaultPath, defaultWritten: replaceable };
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
