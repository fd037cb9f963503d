// The one place that decides where the CLI finds its server, token and CA. Per field: flags >
// BERTH_SERVER/BERTH_TOKEN > the selected context of the config file. The file is BERTH_CONFIG
// when set (like KUBECONFIG it replaces the default, and must exist for reading), else
// $XDG_CONFIG_HOME/berth/config or ~/.config/berth/config (optional). The context is --context,
// else BERTH_CONTEXT, else the file's current-context. The CA travels in the context as
// `certificate-authority-data` (base64 PEM, as in a kubeconfig), or comes from
// --certificate-authority / BERTH_CERTIFICATE_AUTHORITY.
import { BerthError } from '../errors/index.ts';
import { readCaFile } from './ca.ts';
import { type Context, type ContextsConfig, DEFAULT_SERVER, findContext, requireContext } from './contexts.ts';
import { defaultConfigPath, readConfigFile } from './file.ts';

export interface ClientConfig {
  server: string;
  token?: string;
  user?: string;
  /** PEM of the CA that signs the server's certificate. */
  ca?: string;
}

export interface ResolvedClientConfig extends ClientConfig {
  /** The config file that was read, if any. */
  configPath?: string;
  /** The context the file's fields came from, if any. */
  context?: string;
}

type Env = Record<string, string | undefined>;

export interface ClientFlags {
  server?: string;
  token?: string;
  certificateAuthority?: string;
  context?: string;
}

export interface ResolveOptions {
  flags?: ClientFlags;
  env?: Env;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

export interface LoadedConfig {
  /** Where the file is, or would be written. */
  path: string;
  /** Its contexts; undefined when it does not exist. */
  file?: ContextsConfig;
  /** The selected context (--context, BERTH_CONTEXT, else current-context), if any. */
  context?: Context;
}

/** The config file: BERTH_CONFIG, else the default path. */
export const configFilePath = (env: Env = process.env) => nonEmpty(env.BERTH_CONFIG) ?? defaultConfigPath(env);

/**
 * The config file and its selected context. `mustExist`: a BERTH_CONFIG that does not exist is an
 * error (reading); login and the config commands create it instead.
 */
export function loadClientConfig(opts: ResolveOptions & { mustExist?: boolean } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const explicit = nonEmpty(env.BERTH_CONFIG);
  const path = configFilePath(env);
  const file = readConfigFile(path);
  if (explicit && !file && opts.mustExist !== false) throw new BerthError('Invalid', `config file ${explicit} (from BERTH_CONFIG) does not exist`);
  const asked = nonEmpty(opts.flags?.context) ?? nonEmpty(env.BERTH_CONTEXT);
  if (asked) return { path, file, context: requireContext(file ?? { contexts: [] }, asked, `config file ${path}`) };
  if (file?.current && !findContext(file, file.current)) {
    throw new BerthError(
      'Invalid',
      `config file ${path}: current-context "${file.current}" is not one of its contexts (${file.contexts.map((c) => c.name).join(', ') || 'none'}); choose one with \`berth config use-context NAME\``,
    );
  }
  return { path, file, context: findContext(file ?? { contexts: [] }, file?.current) };
}

export function resolveClientConfig(opts: ResolveOptions = {}): ResolvedClientConfig {
  const env = opts.env ?? process.env;
  const flags = opts.flags ?? {};
  const { path, file, context } = loadClientConfig(opts);
  const resolved: ResolvedClientConfig = {
    server: nonEmpty(flags.server) ?? nonEmpty(env.BERTH_SERVER) ?? nonEmpty(context?.server) ?? DEFAULT_SERVER,
  };
  const token = nonEmpty(flags.token) ?? nonEmpty(env.BERTH_TOKEN) ?? nonEmpty(context?.token);
  if (token) resolved.token = token;
  if (context?.user) resolved.user = context.user;
  const caFile = nonEmpty(flags.certificateAuthority) ?? nonEmpty(env.BERTH_CERTIFICATE_AUTHORITY);
  const ca = caFile ? readCaFile(caFile) : context?.ca;
  if (ca) resolved.ca = ca;
  if (file) resolved.configPath = path;
  if (context) resolved.context = context.name;
  return resolved;
}

/**
 * The CA already trusted for `server`, for a login: --certificate-authority, else the selected
 * context's when it is for that server, else any context's for that server.
 */
export function knownCaFor(server: string, loaded: LoadedConfig, opts: ResolveOptions = {}): string | undefined {
  const env = opts.env ?? process.env;
  const caFile = nonEmpty(opts.flags?.certificateAuthority) ?? nonEmpty(env.BERTH_CERTIFICATE_AUTHORITY);
  if (caFile) return readCaFile(caFile);
  const candidates = [loaded.context, ...(loaded.file?.contexts ?? [])];
  return candidates.find((c) => c?.server === server && c.ca)?.ca;
}
