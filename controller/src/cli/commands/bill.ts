// `berth bill [--month YYYY-MM] [--user NAME | --all]`: the monthly statement.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { formatOverview, formatStatement, type OverviewView, type StatementView } from '../format-bill.ts';
import { clientFor } from './context.ts';

export function registerBill(program: Command, deps: CliDeps): void {
  program
    .command('bill')
    .description('show the monthly statement (UTC months; default: the current month)')
    .option('--month <YYYY-MM>', 'the month to show')
    .option('--user <name>', "another user's statement (admins only)")
    .option('--all', "every customer's total for the month (admins only)")
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { month?: string; user?: string; all?: boolean; output: string }, cmd: Command) => {
      if (flags.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(flags.month))
        throw new BerthError('Invalid', `--month: must be YYYY-MM, got "${flags.month}"`);
      if (flags.all && flags.user) throw new BerthError('Invalid', '--all and --user cannot be combined');
      const query = new URLSearchParams();
      if (flags.month) query.set('month', flags.month);
      if (flags.user) query.set('user', flags.user);
      const qs = query.size ? `?${query}` : '';
      const client = clientFor(cmd, deps);
      const data = await client.request<StatementView | OverviewView>('GET', `api/v1/${flags.all ? 'bills' : 'bill'}${qs}`);
      if (flags.output === 'json') return deps.stdout(`${JSON.stringify(data, null, 2)}\n`);
      deps.stdout(flags.all ? formatOverview(data as OverviewView) : formatStatement(data as StatementView));
    });
}
