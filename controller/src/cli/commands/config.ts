// `berth config ca`: the CA this CLI verifies its server with, to hand to customers (admins run it
// with the controller's DATA_DIR/berth.config, whose CA is the cluster's).
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { certificateFingerprint, formatFingerprint } from '../../pki/fingerprint.ts';
import { resolveClientConfig } from '../config.ts';
import type { CliDeps } from '../deps.ts';

export function registerConfig(program: Command, deps: CliDeps): void {
  const config = program.command('config').description('show the CLI configuration');
  config
    .command('ca')
    .description('print the CA certificate (PEM) the server is verified with, e.g. to give to users')
    .option('--fingerprint', 'print only its SHA-256 fingerprint')
    .action((flags: { fingerprint?: boolean }, cmd: Command) => {
      const cfg = resolveClientConfig({ flags: cmd.optsWithGlobals<{ server?: string; certificateAuthority?: string }>(), env: deps.env });
      if (!cfg.ca)
        throw new BerthError(
          'NotFound',
          `no CA configured for ${cfg.server}${cfg.configPath ? ` in ${cfg.configPath}` : ''} (plain HTTP, or a server the system's roots vouch for)`,
        );
      const fingerprint = formatFingerprint(certificateFingerprint(cfg.ca));
      deps.stdout(flags.fingerprint ? `${fingerprint}\n` : cfg.ca);
      if (!flags.fingerprint) deps.stderr(`SHA-256 fingerprint: ${fingerprint}\n`);
    });
}
