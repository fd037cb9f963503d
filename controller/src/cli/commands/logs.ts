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
      let printed = false;
      const print = (text: string) => {
        printed ||= text.length > 0;
        deps.stdout(text);
      };
      await streamGet(cmd, deps, `api/v1/reservations/${encodeURIComponent(name)}/logs${q.size ? `?${q}` : ''}`, print);
      // On stderr, so that `berth logs x > file` still writes exactly the container's output.
      if (!printed) deps.stderr(`reservation ${name}: no log lines yet\n`);
    });
}
