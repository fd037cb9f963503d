import type { Command } from 'commander';
import { resolveClientConfig } from '../config.ts';
import type { CliDeps } from '../deps.ts';
import { createClient, type BerthClient } from '../http-client.ts';

/** The client for this invocation, from global flags, environment and config file. */
export function clientFor(cmd: Command, deps: CliDeps): BerthClient {
  const flags = cmd.optsWithGlobals<{ server?: string; token?: string; certificateAuthority?: string }>();
  const cfg = resolveClientConfig({ flags, env: deps.env });
  return createClient({ server: cfg.server, token: cfg.token, ca: cfg.ca, fetch: deps.fetch });
}
