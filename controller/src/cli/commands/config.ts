// `berth config ...`: the CLI's own configuration. `ca` prints the CA this CLI verifies its server
// with, to hand to customers (admins run it with the controller's DATA_DIR/berth.config, whose CA
// is the cluster's). The context commands work like kubectl's on the config file (BERTH_CONFIG,
// else the default one): list, show, switch, delete and rename the named logins it holds.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { certificateFingerprint, formatFingerprint } from '../../pki/fingerprint.ts';
import {
  type ClientFlags,
  type ContextsConfig,
  configFilePath,
  deleteContext,
  readConfigFile,
  renameContext,
  requireContext,
  resolveClientConfig,
  updateConfigFile,
  useContext,
} from '../../client-config/index.ts';
import type { CliDeps } from '../deps.ts';
import { renderTable } from '../table.ts';

/** The config file with its contexts; NotFound when there is none (nothing to list or switch). */
function existing(deps: CliDeps): { path: string; cfg: ContextsConfig } {
  const path = configFilePath(deps.env);
  const cfg = readConfigFile(path);
  if (!cfg) throw new BerthError('NotFound', `no config file at ${path}: \`berth login\` or \`berth signup\` creates one`);
  return { path, cfg };
}

/** Changes the existing file under its lock. */
function change(deps: CliDeps, edit: (cfg: ContextsConfig, where: string) => ContextsConfig): { path: string; before: ContextsConfig } {
  const { path, cfg: before } = existing(deps);
  updateConfigFile(path, (cfg) => edit(cfg, `config file ${path}`));
  return { path, before };
}

function registerContextCommands(config: Command, deps: CliDeps): void {
  config
    .command('get-contexts')
    .description('list the contexts of the config file (* marks the current one)')
    .option('-o, --output <format>', 'table or name', 'table')
    .action((flags: { output: string }) => {
      if (!['table', 'name'].includes(flags.output)) throw new BerthError('Invalid', `output: must be table or name, got "${flags.output}"`, 'output');
      const path = configFilePath(deps.env);
      const cfg = readConfigFile(path) ?? { contexts: [] };
      if (flags.output === 'name') return deps.stdout(cfg.contexts.map((c) => `${c.name}\n`).join(''));
      const rows = cfg.contexts.map((c) => [c.name === cfg.current ? '*' : '', c.name, c.user ?? '', c.server]);
      deps.stdout(renderTable(['CURRENT', 'NAME', 'USER', 'SERVER'], rows));
    });

  config
    .command('current-context')
    .description('print the name of the current context')
    .action(() => {
      const { path, cfg } = existing(deps);
      if (!cfg.current) throw new BerthError('NotFound', `no current context in ${path}: choose one with \`berth config use-context NAME\``);
      deps.stdout(`${cfg.current}\n`);
    });

  config
    .command('use-context')
    .description('make a context the current one: later commands act as its user on its server')
    .argument('<name>', 'context name (see get-contexts)')
    .action((name: string) => {
      const { before, path } = change(deps, (cfg, where) => useContext(cfg, name, where));
      const ctx = requireContext(before, name, path);
      deps.stdout(`Switched to context "${name}" (${ctx.user ?? 'no user'} on ${ctx.server}).\n`);
    });

  config
    .command('delete-context')
    .description('remove a context from the config file (its token is not revoked: `berth logout` first for that)')
    .argument('<name>', 'context name')
    .action((name: string) => {
      const { path, before } = change(deps, (cfg, where) => deleteContext(cfg, name, where));
      const note = before.current === name ? '; no context is current now: choose one with `berth config use-context NAME`' : '';
      deps.stdout(`deleted context ${name} from ${path}${note}\n`);
    });

  config
    .command('rename-context')
    .description('rename a context')
    .argument('<old>', 'current name')
    .argument('<new>', 'new name')
    .action((from: string, to: string) => {
      change(deps, (cfg, where) => renameContext(cfg, from, to, where));
      deps.stdout(`Context "${from}" renamed to "${to}".\n`);
    });
}

export function registerConfig(program: Command, deps: CliDeps): void {
  const config = program.command('config').description('show and change the CLI configuration (contexts, CA)');
  config
    .command('ca')
    .description('print the CA certificate (PEM) the server is verified with, e.g. to give to users')
    .option('--fingerprint', 'print only its SHA-256 fingerprint')
    .action((flags: { fingerprint?: boolean }, cmd: Command) => {
      const cfg = resolveClientConfig({ flags: cmd.optsWithGlobals<ClientFlags>(), env: deps.env });
      if (!cfg.ca)
        throw new BerthError(
          'NotFound',
          `no CA configured for ${cfg.server}${cfg.configPath ? ` in ${cfg.configPath}` : ''} (plain HTTP, or a server the system's roots vouch for)`,
        );
      const fingerprint = formatFingerprint(certificateFingerprint(cfg.ca));
      deps.stdout(flags.fingerprint ? `${fingerprint}\n` : cfg.ca);
      if (!flags.fingerprint) deps.stderr(`SHA-256 fingerprint: ${fingerprint}\n`);
    });
  registerContextCommands(config, deps);
}
