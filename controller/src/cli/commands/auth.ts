// `berth signup`, `berth login`, `berth logout`, `berth whoami`. Interactive on a terminal, or
// scriptable with --username/--email/--password-stdin. The token lands in a context of its own in
// the CLI config file (BERTH_CONFIG, else the default path; 0600), `user@host:port` unless that user
// already has a context for that server, and that context becomes the current one: the other
// logins in the file (the admin's, other servers') stay as they were.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import {
  type ClientFlags,
  DEFAULT_SERVER,
  findContext,
  knownCaFor,
  loadClientConfig,
  loginContextName,
  resolveClientConfig,
  updateConfigFile,
  upsertContext,
} from '../../client-config/index.ts';
import { establishTrust } from '../trust-on-first-use.ts';
import type { CliDeps } from '../deps.ts';
import { createClient } from '../http-client.ts';
import { ask, isInteractive } from '../prompt.ts';
import { clientFor } from './context.ts';

interface Issued {
  token: string;
  expiresAt: string;
  user: { username: string; role: string };
}

interface CredentialFlags {
  username?: string;
  email?: string;
  passwordStdin?: boolean;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

interface Target {
  path: string;
  server: string;
  /** The CA the server is verified with; saved with the token. */
  ca?: string;
}

/**
 * Where the token goes and which server it is for (as every command resolves it). The CA is
 * --certificate-authority (or BERTH_CERTIFICATE_AUTHORITY), else one a context already trusts for
 * that server, else the one the user accepts after seeing its fingerprint.
 */
async function configTarget(cmd: Command, deps: CliDeps): Promise<Target> {
  const opts = { flags: cmd.optsWithGlobals<ClientFlags>(), env: deps.env };
  const loaded = loadClientConfig({ ...opts, mustExist: false });
  const server = nonEmpty(opts.flags.server) ?? nonEmpty(deps.env.BERTH_SERVER) ?? loaded.context?.server ?? DEFAULT_SERVER;
  const ca = await establishTrust(server, knownCaFor(server, loaded, opts), { interactive: isInteractive(), ask: (q) => ask(q), say: deps.stderr });
  return { path: loaded.path, server, ca };
}

async function value(given: string | undefined, question: string, what: string): Promise<string> {
  if (given !== undefined) return given;
  if (!isInteractive()) throw new BerthError('Invalid', `${what} is required: pass --${what} (or run on a terminal to be asked)`);
  return ask(question);
}

async function password(flags: CredentialFlags, deps: CliDeps, confirm: boolean): Promise<string> {
  if (flags.passwordStdin) return (await deps.readStdin()).replace(/\r?\n$/, '');
  if (!isInteractive()) throw new BerthError('Invalid', 'password is required: pass --password-stdin and write it to stdin');
  const first = await ask('Password: ', { secret: true });
  if (confirm && (await ask('Repeat password: ', { secret: true })) !== first) throw new BerthError('Invalid', 'the passwords do not match');
  return first;
}

function save(deps: CliDeps, target: Target, issued: Issued, verb: string): void {
  const user = issued.user.username;
  let name = '';
  updateConfigFile(target.path, (cfg) => {
    name = loginContextName(cfg, target.server, user);
    return upsertContext(cfg, { name, server: target.server, user, token: issued.token, ca: target.ca }, 'always');
  });
  deps.stdout(`${verb} as ${user} (${issued.user.role}); token saved in ${target.path} as context ${name} (now current), valid until ${issued.expiresAt}\n`);
}

export function registerAuth(program: Command, deps: CliDeps): void {
  const credentials = (c: Command) => c.option('--username <name>', 'user name').option('--password-stdin', 'read the password from stdin (for scripts)');

  credentials(program.command('signup').description('create a customer account and log in'))
    .option('--email <address>', 'email address')
    .action(async (flags: CredentialFlags, cmd: Command) => {
      const target = await configTarget(cmd, deps);
      const username = await value(flags.username, 'Username: ', 'username');
      const email = await value(flags.email, 'Email: ', 'email');
      const pw = await password(flags, deps, true);
      const issued = await createClient({ server: target.server, ca: target.ca, fetch: deps.fetch }).request<Issued>('POST', 'api/v1/auth/signup', {
        username,
        email,
        password: pw,
      });
      save(deps, target, issued, 'Signed up and logged in');
    });

  credentials(program.command('login').description('log in and save the token in the CLI config')).action(async (flags: CredentialFlags, cmd: Command) => {
    const target = await configTarget(cmd, deps);
    const username = await value(flags.username, 'Username: ', 'username');
    const pw = await password(flags, deps, false);
    const issued = await createClient({ server: target.server, ca: target.ca, fetch: deps.fetch }).request<Issued>('POST', 'api/v1/auth/login', {
      username,
      password: pw,
    });
    save(deps, target, issued, 'Logged in');
  });

  program
    .command('logout')
    .description('revoke the saved token and remove it from the CLI config')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ClientFlags>();
      const cfg = resolveClientConfig({ flags, env: deps.env });
      if (cfg.token) await clientFor(cmd, deps).request('POST', 'api/v1/auth/logout');
      // The context keeps its server and CA for the next login; only the token it held goes, and
      // only when that is the token just revoked (not one from --token or BERTH_TOKEN).
      if (cfg.configPath && cfg.context && cfg.token) {
        updateConfigFile(cfg.configPath, (file) => {
          const ctx = findContext(file, cfg.context);
          return ctx && ctx.token === cfg.token ? upsertContext(file, { ...ctx, token: undefined }, 'if-none') : file;
        });
      }
      deps.stdout('Logged out\n');
    });

  program
    .command('whoami')
    .description('show the logged-in user, role and quotas')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { output: string }, cmd: Command) => {
      const me = await clientFor(cmd, deps).request<{ username: string; email?: string; role: string; quota: Record<string, unknown> }>(
        'GET',
        'api/v1/auth/whoami',
      );
      if (flags.output === 'json') return deps.stdout(`${JSON.stringify(me, null, 2)}\n`);
      const quota =
        Object.entries(me.quota)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ') || 'none';
      deps.stdout(`${me.username} (${me.role})${me.email ? ` <${me.email}>` : ''}\nquota: ${quota}\n`);
    });
}
