// The CLI's config file as data, like a kubeconfig: named contexts (server, CA, token, user) and
// the current one. Pure: parsing from YAML data, rendering back, and the edits the commands make.
// A file of the earlier format (one login: server, token, user, CA at the top) reads as one
// context, so configs written before contexts keep working; the next write converts it.
import { BerthError } from '../errors/index.ts';
import { parseCaPem } from './ca.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export interface Context {
  name: string;
  server: string;
  user?: string;
  token?: string;
  /** PEM of the CA that signs the server's certificate (`certificate-authority-data` in the file). */
  ca?: string;
}

export interface ContextsConfig {
  current?: string;
  contexts: Context[];
}

const CA_KEY = 'certificate-authority-data';
const CONTEXT_KEYS = ['name', 'server', 'user', 'token', CA_KEY];
const TOP_KEYS = ['current-context', 'contexts'];

// No `field`: the message already names the file and the key in it.
const invalid = (where: string, problem: string) => new BerthError('Invalid', `${where}: ${problem}`);

const validName = (name: string) => /^[^\s-][^\s]{0,252}$/.test(name) && !/\p{Cc}/u.test(name);

/** A context name: printable, no spaces, not starting with '-' (it would read as a flag). */
export function checkContextName(name: string, where = 'context name'): string {
  if (!validName(name)) {
    throw invalid(where, `"${name}" is not a valid context name (1-253 characters, no spaces, not starting with "-")`);
  }
  return name;
}

function str(value: unknown, where: string, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(where, `${key} must be a string`);
  return value;
}

function caOf(value: unknown, where: string): string | undefined {
  const data = str(value, where, `${CA_KEY} (base64 of a PEM certificate)`);
  return data === undefined ? undefined : parseCaPem(Buffer.from(data, 'base64').toString('utf8'), `${where}: ${CA_KEY}`);
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseContext(raw: unknown, where: string): Context {
  if (!isMapping(raw)) throw invalid(where, 'must be a mapping with name, server, user, token and certificate-authority-data');
  const unknown = Object.keys(raw).find((k) => !CONTEXT_KEYS.includes(k));
  if (unknown) throw invalid(where, `unknown key "${unknown}" (a context has ${CONTEXT_KEYS.join(', ')})`);
  const name = str(raw.name, where, 'name');
  if (!name) throw invalid(where, 'name is required');
  const at = `${where} (${name})`;
  checkContextName(name, at);
  const server = str(raw.server, at, 'server');
  if (!server) throw invalid(at, 'server is required');
  return compact({ name, server, user: str(raw.user, at, 'user'), token: str(raw.token, at, 'token'), ca: caOf(raw[CA_KEY], at) });
}

/** The earlier format: one login at the top level (unknown keys were ignored then, and still are). */
function parseLegacy(raw: Record<string, unknown>, where: string): ContextsConfig {
  const server = str(raw.server, where, 'server') ?? DEFAULT_SERVER;
  const user = str(raw.user, where, 'user');
  const named = user ? loginName(user, server) : 'default';
  const ctx = compact({ name: validName(named) ? named : 'default', server, user, token: str(raw.token, where, 'token'), ca: caOf(raw[CA_KEY], where) });
  return { current: ctx.name, contexts: [ctx] };
}

/**
 * The parsed YAML of a config file as contexts. `where` names the file in errors. A current-context
 * naming no context is kept (resolving it is an error that says how to fix it; the config commands
 * still work on such a file).
 */
export function parseContextsConfig(data: unknown, where: string): ContextsConfig {
  if (data === null || data === undefined) return { contexts: [] };
  if (!isMapping(data)) throw invalid(where, 'must be a mapping with current-context and contexts');
  if (!('contexts' in data) && !('current-context' in data)) return parseLegacy(data, where);
  const unknown = Object.keys(data).find((k) => !TOP_KEYS.includes(k));
  if (unknown) throw invalid(where, `unknown key "${unknown}" (the file has current-context and contexts; server, token and the CA go inside a context)`);
  const list = data.contexts ?? [];
  if (!Array.isArray(list)) throw invalid(where, 'contexts must be a list');
  const contexts = list.map((c, i) => parseContext(c, `${where}: contexts[${i}]`));
  const seen = new Set<string>();
  for (const c of contexts) {
    if (seen.has(c.name)) throw invalid(where, `two contexts are named "${c.name}"`);
    seen.add(c.name);
  }
  const current = str(data['current-context'], where, 'current-context');
  return current ? { current, contexts } : { contexts };
}

/** The YAML data to write (tokens included: the file is 0600). */
export function renderContextsConfig(cfg: ContextsConfig): Record<string, unknown> {
  const contexts = cfg.contexts.map((c) => {
    const out: Record<string, string> = { name: c.name, server: c.server };
    if (c.user) out.user = c.user;
    if (c.token) out.token = c.token;
    if (c.ca) out[CA_KEY] = Buffer.from(c.ca, 'utf8').toString('base64');
    return out;
  });
  return cfg.current ? { 'current-context': cfg.current, contexts } : { contexts };
}

function compact(ctx: Context): Context {
  const out: Context = { name: ctx.name, server: ctx.server };
  if (ctx.user) out.user = ctx.user;
  if (ctx.token) out.token = ctx.token;
  if (ctx.ca) out.ca = ctx.ca;
  return out;
}

export const findContext = (cfg: ContextsConfig, name: string | undefined) => (name === undefined ? undefined : cfg.contexts.find((c) => c.name === name));

/** A context that must exist: NotFound names the known ones. */
export function requireContext(cfg: ContextsConfig, name: string, where: string): Context {
  const ctx = findContext(cfg, name);
  if (!ctx) {
    const known = cfg.contexts.map((c) => c.name).join(', ') || 'none';
    throw new BerthError('NotFound', `context "${name}" not found in ${where} (contexts: ${known})`);
  }
  return ctx;
}

/**
 * Adds the context or replaces the one of that name. `current`: 'always' makes it current;
 * 'if-none' only when no existing context is current (so a restart of `berth dev` never takes the
 * CLI away from the login its user chose).
 */
export function upsertContext(cfg: ContextsConfig, ctx: Context, current: 'always' | 'if-none'): ContextsConfig {
  checkContextName(ctx.name);
  const exists = cfg.contexts.some((c) => c.name === ctx.name);
  const contexts = exists ? cfg.contexts.map((c) => (c.name === ctx.name ? compact(ctx) : c)) : [...cfg.contexts, compact(ctx)];
  const keep = current === 'if-none' && findContext(cfg, cfg.current) !== undefined;
  return { current: keep ? cfg.current : ctx.name, contexts };
}

export function useContext(cfg: ContextsConfig, name: string, where: string): ContextsConfig {
  requireContext(cfg, name, where);
  return { ...cfg, current: name };
}

/** Without the context; no context is current any more when it was the current one. */
export function deleteContext(cfg: ContextsConfig, name: string, where: string): ContextsConfig {
  requireContext(cfg, name, where);
  const contexts = cfg.contexts.filter((c) => c.name !== name);
  return cfg.current === name ? { contexts } : { current: cfg.current, contexts };
}

export function renameContext(cfg: ContextsConfig, from: string, to: string, where: string): ContextsConfig {
  requireContext(cfg, from, where);
  checkContextName(to);
  if (from !== to && findContext(cfg, to)) throw new BerthError('Conflict', `context "${to}" already exists in ${where}`);
  const contexts = cfg.contexts.map((c) => (c.name === from ? { ...c, name: to } : c));
  return { current: cfg.current === from ? to : cfg.current, contexts };
}

/** The server's host[:port] as a URL writes it (the default port left out), or the text itself. */
function hostOf(server: string): string {
  try {
    return new URL(server).host || server;
  } catch {
    return server;
  }
}

/** `user@host:port`: the name a login gets unless it already has a context. */
export const loginName = (user: string, server: string) => `${user}@${hostOf(server)}`;

/**
 * The context a login of `user` on `server` goes to: the one that already holds that user on that
 * server (whatever it was renamed to), else `user@host:port`, with -2, -3... when that name is
 * taken by another login, which is never overwritten.
 */
export function loginContextName(cfg: ContextsConfig, server: string, user: string): string {
  const same = cfg.contexts.find((c) => c.server === server && c.user === user);
  if (same) return same.name;
  const base = loginName(user, server);
  let name = base;
  for (let i = 2; findContext(cfg, name); i++) name = `${base}-${i}`;
  return name;
}

/** `berth dev`'s own context: `dev` on the default port, `dev-PORT` on another. */
export function devContextName(server: string): string {
  const port = new URL(server).port;
  return !port || port === '7070' ? 'dev' : `dev-${port}`;
}

/**
 * The bootstrap admin's context in the controller's DATA_DIR/berth.config: the one named `admin`,
 * else one logged in as admin (a file of the earlier format), else a new `admin`.
 */
export function adminContextName(cfg: ContextsConfig): string {
  return (findContext(cfg, 'admin') ?? cfg.contexts.find((c) => c.user === 'admin'))?.name ?? 'admin';
}
