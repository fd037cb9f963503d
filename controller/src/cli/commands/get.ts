import { Option, type Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { formatList, formatObject, OUTPUT_FORMATS, type OutputFormat } from '../format.ts';
import { resolveTarget, type KindInfo } from '../kinds.ts';
import { clientFor } from './context.ts';
import { watchKind } from './watch.ts';

export function registerGet(program: Command, deps: CliDeps): void {
  program
    .command('get')
    .description('list objects of a kind, or show one (kinds: images|img, reservations|res, nodes|no, events|ev)')
    .argument('<kind>', 'KIND or KIND/NAME')
    .argument('[name]', 'object name')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS))
    .option('-w, --watch', 'after listing, print changes as they happen (reservations, nodes)')
    .action(async (kindArg: string, nameArg: string | undefined, opts: { output?: OutputFormat; watch?: boolean }, cmd: Command) => {
      const { info, names } = resolveTarget(kindArg, nameArg === undefined ? [] : [nameArg]);
      if (names.length > 1) throw new BerthError('Invalid', 'get takes one name; use KIND NAME or KIND/NAME');
      const output = opts.output ?? 'table';
      if (opts.watch) {
        if (names.length || !['reservations', 'nodes'].includes(info.plural))
          throw new BerthError('Invalid', '--watch works on the reservations and nodes lists');
        return watchKind(cmd, deps, info, output);
      }
      const client = clientFor(cmd, deps);
      const now = deps.now();
      if (names.length) {
        requireNamed(info, 'get');
        deps.stdout(formatObject(info, await client.get(info.plural, names[0]), output, now));
        return;
      }
      const list = await client.list(info.plural);
      if (!list.items.length && (output === 'table' || output === 'wide')) {
        deps.stderr(`No ${info.plural} found.\n`);
        return;
      }
      deps.stdout(formatList(info, list, output, now));
    });
}

export function requireNamed(info: KindInfo, verb: string): void {
  if (info.listOnly) throw new BerthError('Invalid', `${info.plural} can only be listed; "${verb}" by name is not supported`);
}
