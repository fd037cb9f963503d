import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { streamGet } from '../stream-request.ts';

export function registerLogs(program: Command, deps: CliDeps): void {
  program
    .command('logs')
    .description("print a reservation's container logs (streamed from its node)")
    .argument('<name>', 'reservation name')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--tail <n>', 'only the last N lines')
    .action(async (name: string, opts: { follow?: boolean; tail?: string }, cmd: Command) => {
      if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new BerthError('Invalid', '--tail: must be a non-negative integer', 'tail');
      const q = new URLSearchParams();
      if (opts.follow) q.set('follow', '1');
      if (opts.tail !== undefined) q.set('tail', opts.tail);
      await streamGet(cmd, deps, `api/v1/reservations/${encodeURIComponent(name)}/logs${q.size ? `?${q}` : ''}`, deps.stdout);
    });
}
