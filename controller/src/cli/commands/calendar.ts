// `berth calendar url|rotate|revoke`: the secret URL of the user's iCal feed of reservations.
// Only a hash of its token is kept, so the URL is printed when made and never again.
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import type { BerthClient } from '../http-client.ts';
import { clientFor } from './context.ts';

interface FeedInfo {
  exists: boolean;
  createdAt?: string;
  lastUsedAt?: string;
  path?: string;
}

const feedUrl = (client: BerthClient, path: string) => new URL(path, client.server.endsWith('/') ? client.server : `${client.server}/`).href;

export function registerCalendar(program: Command, deps: CliDeps): void {
  const calendar = program.command('calendar').description('a secret calendar (iCal) feed of your reservations, for any calendar app');

  const make = async (cmd: Command, verb: string) => {
    const client = clientFor(cmd, deps);
    const made = await client.request<FeedInfo>('POST', 'api/v1/calendar/feed');
    deps.stdout(`${feedUrl(client, made.path ?? '')}\n`);
    deps.stderr(`calendar feed ${verb}: subscribe to this URL; it is shown only now (berth calendar rotate makes a new one)\n`);
  };

  calendar
    .command('url')
    .description('make your feed URL and print it (if you have one, say when it was made: its URL is shown only once)')
    .action(async (_flags: unknown, cmd: Command) => {
      const info = await clientFor(cmd, deps).request<FeedInfo>('GET', 'api/v1/calendar/feed');
      if (!info.exists) return make(cmd, 'created');
      deps.stdout(`calendar feed made ${info.createdAt}, last read ${info.lastUsedAt ?? '<never>'}\n`);
      deps.stderr('its URL is shown only when made: `berth calendar rotate` makes a new one (the old URL stops working)\n');
    });

  calendar
    .command('rotate')
    .description('make a new feed URL; the old one stops working at once')
    .action(async (_flags: unknown, cmd: Command) => make(cmd, 'rotated'));

  calendar
    .command('revoke')
    .description('stop your feed URL from working (no new one is made)')
    .action(async (_flags: unknown, cmd: Command) => {
      await clientFor(cmd, deps).request('DELETE', 'api/v1/calendar/feed');
      deps.stdout('calendar feed revoked\n');
    });
}
