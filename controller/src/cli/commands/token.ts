// `berth token create|list|revoke`: bootstrap tokens agents join with (admin token required; the
// server checks input, so API and CLI refuse the same things with the same words).
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { humanDuration, renderTable } from '../table.ts';
import { clientFor } from './context.ts';

interface TokenView {
  id: string;
  description: string;
  expiresAt: string;
  lastUsedAt?: string;
  state: string;
  token?: string;
}

export function registerToken(program: Command, deps: CliDeps): void {
  const token = program.command('token').description('bootstrap tokens that let new agents join (admins only)');

  token
    .command('create')
    .description('make a bootstrap token and print the whole join token once (K10<fingerprint>::<id>.<secret>)')
    .option('--ttl <duration>', "how long it may be used, e.g. 30m, 24h, 7d (default: the controller's joinTokenTtl, 24h)")
    .option('--description <text>', 'what it is for (shown by token list)')
    .action(async (flags: { ttl?: string; description?: string }, cmd: Command) => {
      const made = await clientFor(cmd, deps).request<TokenView>('POST', 'api/v1/bootstrap-tokens', {
        ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}),
        ...(flags.description !== undefined ? { description: flags.description } : {}),
      });
      // Only the token on stdout, so `T=$(berth token create)` works; the rest goes to stderr.
      deps.stdout(`${made.token}\n`);
      deps.stderr(`bootstrap-token/${made.id} created, expires ${made.expiresAt}\n`);
    });

  token
    .command('list')
    .description('list bootstrap tokens (ids only; secrets are never shown again)')
    .action(async (_flags: unknown, cmd: Command) => {
      const { items } = await clientFor(cmd, deps).request<{ items: TokenView[] }>('GET', 'api/v1/bootstrap-tokens');
      const now = deps.now().getTime();
      const ago = (iso?: string) => (iso ? `${humanDuration(now - Date.parse(iso))} ago` : '<never>');
      const left = (t: TokenView) => (t.state === 'valid' ? humanDuration(Date.parse(t.expiresAt) - now) : t.state);
      deps.stdout(
        renderTable(
          ['ID', 'TTL', 'EXPIRES', 'LAST USED', 'DESCRIPTION'],
          items.map((t) => [t.id, left(t), t.expiresAt, ago(t.lastUsedAt), t.description || '<none>']),
        ),
      );
    });

  token
    .command('revoke')
    .description('revoke a bootstrap token at once (nodes that already joined keep their identity)')
    .argument('<id>', 'token id (the part before the dot)')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      await clientFor(cmd, deps).request('DELETE', `api/v1/bootstrap-tokens/${encodeURIComponent(id)}`);
      deps.stdout(`bootstrap-token/${id} revoked\n`);
    });
}
