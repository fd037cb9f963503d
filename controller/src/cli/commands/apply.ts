import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { CliExit, type CliDeps } from '../deps.ts';
import { UnreachableError } from '../http-client.ts';
import { ref } from '../kinds.ts';
import { loadManifests, type LoadedManifest } from '../load-manifests.ts';
import { describeFailure } from '../report-error.ts';
import { clientFor } from './context.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerApply(program: Command, deps: CliDeps): void {
  program
    .command('apply')
    .description('create or update objects from manifests (files, directories, multi-document YAML)')
    .option('-f, --filename <path>', 'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)', collect, [])
    .action(async (opts: { filename: string[] }, cmd: Command) => {
      if (!opts.filename.length) throw new BerthError('Invalid', 'apply needs at least one -f FILE|DIR|-', 'filename');
      const loaded = await loadManifests(opts.filename, deps.readStdin);
      if (!loaded.length) throw new BerthError('Invalid', 'no objects passed to apply', 'filename');
      await applyAll(loaded, clientFor(cmd, deps), deps);
    });
}

// Every document is attempted, so one bad object does not hide the others' results; the exit
// code is the first failure's. Only an unreachable server stops the run.
async function applyAll(loaded: LoadedManifest[], client: ReturnType<typeof clientFor>, deps: CliDeps) {
  // zod is loaded with the schemas only here: it is most of the CLI's weight, which other commands
  // (and `--help`) need not parse.
  const { validateManifest } = await import('../../manifests/index.ts');
  let exitCode = 0;
  for (const item of loaded) {
    const { manifest } = item;
    const name = manifest.metadata?.name;
    const at = `${item.source} document ${item.document}`;
    try {
      // The API's own schema, checked here too so a mistake is reported with its file and document.
      validateOrLocate(validateManifest, manifest, at);
      const result = await client.apply(manifest);
      const applied = result.object?.metadata?.name ?? name;
      deps.stdout(`${ref(result.object?.kind ?? manifest.kind, applied)} ${result.action}\n`);
    } catch (err) {
      if (err instanceof UnreachableError) throw err;
      const located = err instanceof BerthError && err.message.startsWith(at);
      const where = name || located ? '' : ` (${at})`;
      const failure = describeFailure(err, `${ref(manifest.kind, name)}${where}: `);
      deps.stderr(failure.lines.map((l) => `${l}\n`).join(''));
      exitCode ||= failure.exitCode;
    }
  }
  if (exitCode) throw new CliExit(exitCode);
}

function validateOrLocate(validateManifest: (m: unknown) => unknown, manifest: unknown, at: string): void {
  try {
    validateManifest(manifest);
  } catch (err) {
    if (err instanceof BerthError) throw new BerthError(err.code, `${at}: ${err.message}`, err.field, err.details);
    throw err;
  }
}
