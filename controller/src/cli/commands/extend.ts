// `berth extend NAME --by 30m`: lengthen a live reservation on the node it holds.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { formatCost } from '../format.ts';
import type { ApiObject } from '../types.ts';
import { clientFor } from './context.ts';

export function registerExtend(program: Command, deps: CliDeps): void {
  program
    .command('extend')
    .description('extend a reservation (admitted only if its node has room for the extra time)')
    .argument('<name>', 'reservation name (or reservation/NAME)')
    .requiredOption('--by <duration>', 'extra time, e.g. 30m or 2h')
    .action(async (nameArg: string, flags: { by: string }, cmd: Command) => {
      const name = nameArg.replace(/^(reservations?|rsv)\//, '');
      if (!name || name.includes('/')) throw new BerthError('Invalid', `extend needs a reservation name, got "${nameArg}"`);
      const obj = await clientFor(cmd, deps).request<ApiObject>('POST', `api/v1/reservations/${encodeURIComponent(name)}/extend`, { by: flags.by });
      const status = obj.status ?? {};
      deps.stdout(`reservation/${obj.metadata.name} extended: ends ${String(status.endTime)} (cost so far ${formatCost(status.cost)})\n`);
    });
}
