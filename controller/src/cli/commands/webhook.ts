// `berth webhook add|list|remove`: signed notifications of your reservations' lifecycle. The
// server validates (URL, events, address policy), so API and CLI refuse the same things.
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { renderTable } from '../table.ts';
import { clientFor } from './context.ts';

interface WebhookView {
  id: string;
  url: string;
  events: string[];
  endingBefore: string;
  createdAt: string;
  secret?: string;
}

export function registerWebhook(program: Command, deps: CliDeps): void {
  const webhook = program.command('webhook').description('signed HTTP notifications when your reservations are admitted, start, are ending, end, fail or move');

  webhook
    .command('add')
    .description('add a webhook and print its signing secret once')
    .argument('<url>', 'https://... (or http://) URL that receives POSTs')
    .option('--events <list>', 'comma-separated: admitted,started,ending,ended,failed,moved (default: all)')
    .option('--ending-before <duration>', 'when "ending" is sent, before the end (default 15m)')
    .action(async (url: string, flags: { events?: string; endingBefore?: string }, cmd: Command) => {
      const made = await clientFor(cmd, deps).request<WebhookView>('POST', 'api/v1/webhooks', {
        url,
        ...(flags.events !== undefined ? { events: flags.events } : {}),
        ...(flags.endingBefore !== undefined ? { endingBefore: flags.endingBefore } : {}),
      });
      // Only the secret on stdout, so `S=$(berth webhook add ...)` works.
      deps.stdout(`${made.secret}\n`);
      deps.stderr(`webhook/${made.id} added for ${made.events.join(',')} (ending: ${made.endingBefore} before); the secret above is shown only now\n`);
    });

  webhook
    .command('list')
    .description('list your webhooks (secrets are never shown again)')
    .action(async (_flags: unknown, cmd: Command) => {
      const { items } = await clientFor(cmd, deps).request<{ items: WebhookView[] }>('GET', 'api/v1/webhooks');
      deps.stdout(
        renderTable(
          ['ID', 'URL', 'EVENTS', 'ENDING', 'CREATED'],
          items.map((w) => [w.id, w.url, w.events.join(','), w.endingBefore, w.createdAt]),
        ),
      );
    });

  webhook
    .command('remove')
    .description('remove a webhook; its pending deliveries are dropped')
    .argument('<id>', 'webhook id (wh_...)')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      await clientFor(cmd, deps).request('DELETE', `api/v1/webhooks/${encodeURIComponent(id)}`);
      deps.stdout(`webhook/${id} removed\n`);
    });
}
