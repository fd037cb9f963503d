import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { renderTable } from '../table.ts';
import { clientFor } from './context.ts';

const mib = (b: number | undefined) => (b === undefined ? '-' : `${Math.round(b / 1048576)}Mi`);

export function registerTop(program: Command, deps: CliDeps): void {
  program
    .command('top')
    .description('show resource use: top nodes')
    .argument('<what>', 'nodes')
    .action(async (what: string, _opts: unknown, cmd: Command) => {
      if (!['nodes', 'node', 'no'].includes(what)) throw new BerthError('Invalid', `top: unknown "${what}"; use "berth top nodes"`);
      const client = clientFor(cmd, deps);
      const { items } = await client.list<any>('nodes');
      const rows = items.map((n: any) => {
        const m = n.status.metrics ?? {};
        const used = m.memoryTotalBytes !== undefined ? m.memoryTotalBytes - m.memoryFreeBytes : undefined;
        const pct = used !== undefined && m.memoryTotalBytes ? `${Math.round((100 * used) / m.memoryTotalBytes)}%` : '-';
        return [
          n.metadata.name,
          m.cpuPercent !== undefined ? `${Math.round(m.cpuPercent)}%` : '-',
          m.load1 !== undefined ? m.load1.toFixed(2) : '-',
          mib(used),
          mib(m.memoryTotalBytes),
          pct,
          n.status.usage ? String(n.status.usage.reservations) : '-',
        ];
      });
      deps.stdout(renderTable(['NAME', 'CPU%', 'LOAD1', 'MEMORY', 'TOTAL', 'MEMORY%', 'CONTAINERS'], rows));
    });
}
