import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { formatDescribe, type DescribeDeliveries, type DescribeEvents } from '../format.ts';
import type { BerthClient } from '../http-client.ts';
import { resolveTarget } from '../kinds.ts';
import type { EventObject } from '../types.ts';
import { clientFor } from './context.ts';
import { requireNamed } from './get.ts';

export function registerDescribe(program: Command, deps: CliDeps): void {
  program
    .command('describe')
    .description('show one object in detail, with its conditions, endpoints and recent events')
    .argument('<kind>', 'KIND or KIND/NAME')
    .argument('[name]', 'object name')
    .action(async (kindArg: string, nameArg: string | undefined, _opts: unknown, cmd: Command) => {
      const { info, names } = resolveTarget(kindArg, nameArg === undefined ? [] : [nameArg]);
      if (names.length !== 1) throw new BerthError('Invalid', 'describe takes exactly one name: KIND NAME or KIND/NAME');
      requireNamed(info, 'describe');
      const client = clientFor(cmd, deps);
      const object = await client.get(info.plural, names[0]);
      const events = await eventsFor(client, object.kind ?? info.kind, object.metadata?.name ?? names[0]);
      const deliveries = info.kind === 'Reservation' ? await deliveriesFor(client, object.metadata?.name ?? names[0]) : undefined;
      deps.stdout(formatDescribe(object, events, deps.now(), deliveries));
    });
}

// The object is what was asked for; its events are a bonus, so their failure is shown, not fatal.
async function eventsFor(client: BerthClient, kind: string, name: string): Promise<DescribeEvents> {
  try {
    const list = await client.list<EventObject>('events', { kind, name });
    return { items: list.items };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function deliveriesFor(client: BerthClient, name: string): Promise<DescribeDeliveries> {
  try {
    return {
      items: (
        await client.request<{ items: Extract<DescribeDeliveries, { items: unknown }>['items'] }>(
          'GET',
          `api/v1/reservations/${encodeURIComponent(name)}/deliveries`,
        )
      ).items,
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
