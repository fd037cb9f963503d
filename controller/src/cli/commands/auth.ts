// `berth signup`, `berth login`, `berth logout`, `berth whoami`. Interactive on a terminal, or
// scriptable with --username/--email/--password-stdin. The token lands in the CLI config file
// (BERTH_CONFIG, else the default path) with mode 0600.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { DEFAULT_SERVER, defaultConfigPath, readCaFile, readClientConfig, resolveClientConfig, writeClientConfig } from '../config.ts';
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
 * Where the token goes and which server it is for. The CA is --certificate-authority (or
 * BERTH_CERTIFICATE_AUTHORITY), else the config's when it is for the same server, else the one the
 * user accepts after seeing its fingerprint.
 */
async function configTarget(cmd: Command, deps: CliDeps): Promise<Target> {
  const path = nonEmpty(deps.env.BERTH_CONFIG) ?? defaultConfigPath(deps.env);
  const existing = readClientConfig(path);
  const flags = cmd.optsWithGlobals<{ server?: string; certificateAuthority?: string }>();
  const server = nonEmpty(flags.server) ?? nonEmpty(deps.env.BERTH_SERVER) ?? nonEmpty(existing?.server) ?? DEFAULT_SERVER;
  const caFile = nonEmpty(flags.certificateAuthority) ?? nonEmpty(deps.env.BERTH_CERTIFICATE_AUTHORITY);
  const known = caFile ? readCaFile(caFile) : existing?.server === server ? existing.ca : undefined;
  const ca = await establishTrust(server, known, { interactive: isInteractive(), ask: (q) => ask(q), say: deps.stderr });
  return { path, server, ca };
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
  writeClientConfig(target.path, { server: target.server, token: issued.token, user: issued.user.username, ca: target.ca });
  deps.stdout(`${verb} as ${issued.user.username} (${issued.user.role}); token saved in ${target.path}, valid until ${issued.expiresAt}\n`);
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
      const cfg = resolveClientConfig({ flags: cmd.optsWithGlobals<{ server?: string; token?: string }>(), env: deps.env });
      if (cfg.token) await clientFor(cmd, deps).request('POST', 'api/v1/auth/logout');
      const file = cfg.configPath ? readClientConfig(cfg.configPath) : undefined;
      if (cfg.configPath && file?.token) writeClientConfig(cfg.configPath, { server: file.server ?? cfg.server, ca: file.ca });
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
