import type { Command } from 'commander';
import { type ClientFlags, resolveClientConfig } from '../../client-config/index.ts';
import type { CliDeps } from '../deps.ts';
import { createClient, type BerthClient } from '../http-client.ts';

/** The client for this invocation, from global flags, environment and the config file's context. */
export function clientFor(cmd: Command, deps: CliDeps): BerthClient {
  const flags = cmd.optsWithGlobals<ClientFlags>();
  const cfg = resolveClientConfig({ flags, env: deps.env });
  return createClient({ server: cfg.server, token: cfg.token, ca: cfg.ca, fetch: deps.fetch });
}
