import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { CliExit, type CliDeps } from '../deps.ts';
import { UnreachableError } from '../http-client.ts';
import { resolveTarget } from '../kinds.ts';
import { describeFailure } from '../report-error.ts';
import { clientFor } from './context.ts';
import { requireNamed } from './get.ts';

export function registerDelete(program: Command, deps: CliDeps): void {
  program
    .command('delete')
    .description('delete objects by name')
    .argument('<kind>', 'KIND or KIND/NAME')
    .argument('[names...]', 'object names')
    .action(async (kindArg: string, nameArgs: string[], _opts: unknown, cmd: Command) => {
      const { info, names } = resolveTarget(kindArg, nameArgs);
      if (!names.length) throw new BerthError('Invalid', 'delete needs a name: KIND NAME or KIND/NAME');
      requireNamed(info, 'delete');
      const client = clientFor(cmd, deps);
      let exitCode = 0;
      for (const name of names) {
        try {
          const deleted = await client.delete(info.plural, name);
          deps.stdout(`${info.singular}/${deleted?.metadata?.name ?? name} deleted\n`);
        } catch (err) {
          if (err instanceof UnreachableError || names.length === 1) throw err;
          const failure = describeFailure(err);
          deps.stderr(failure.lines.map((l) => `${l}\n`).join(''));
          exitCode ||= failure.exitCode;
        }
      }
      if (exitCode) throw new CliExit(exitCode);
    });
}
