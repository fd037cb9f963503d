import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { CliExit, type CliDeps } from '../deps.ts';
import { UnreachableError } from '../http-client.ts';
import { ref } from '../kinds.ts';
import { loadManifests, type LoadedManifest } from '../load-manifests.ts';
import { describeFailure } from '../report-error.ts';
import { clientFor } from './context.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

// Flags that override these fields of every Reservation applied: how a counter-offer is taken
// without editing the file (re-applying the file without them later changes the reservation back).
const OVERRIDES = ['start', 'duration', 'cores', 'memory'] as const;
type Flags = { filename: string[] } & Partial<Record<(typeof OVERRIDES)[number], string>>;

export function registerApply(program: Command, deps: CliDeps): void {
  program
    .command('apply')
    .description('create or update objects from manifests (files, directories, multi-document YAML)')
    .option('-f, --filename <path>', 'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)', collect, [])
    .option('--start <time>', "set every Reservation's spec.start (RFC 3339), e.g. from a counter-offer")
    .option('--duration <duration>', "set every Reservation's spec.duration, e.g. 90m")
    .option('--cores <cores>', "set every Reservation's spec.cores, e.g. 0.5 or 250m")
    .option('--memory <memory>', "set every Reservation's spec.memory, e.g. 512Mi")
    .action(async (opts: Flags, cmd: Command) => {
      if (!opts.filename.length) throw new BerthError('Invalid', 'apply needs at least one -f FILE|DIR|-', 'filename');
      const loaded = await loadManifests(opts.filename, deps.readStdin);
      if (!loaded.length) throw new BerthError('Invalid', 'no objects passed to apply', 'filename');
      const flags = Object.fromEntries(OVERRIDES.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]!]));
      for (const { manifest } of loaded) {
        const spec = manifest.spec;
        if (manifest.kind === 'Reservation' && spec && typeof spec === 'object' && !Array.isArray(spec)) manifest.spec = { ...spec, ...overrides(flags) };
      }
      // A counter-offer reads as this command again with its flags, when it concerns one reservation.
      const one = loaded.filter((l) => l.manifest.kind === 'Reservation').length === 1 && !opts.filename.includes('-');
      const retry = { words: one ? ['berth', 'apply', ...opts.filename.flatMap((f) => ['-f', f])] : [], flags: one ? flags : {} };
      await applyAll(loaded, clientFor(cmd, deps), deps, retry);
    });
}

/** Flag text as the manifest field would carry it: cores as a number unless in millicores. */
function overrides(flags: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...flags };
  if (flags.cores !== undefined && !flags.cores.endsWith('m') && flags.cores.trim() !== '' && Number.isFinite(Number(flags.cores)))
    out.cores = Number(flags.cores);
  return out;
}

// Every document is attempted, so one bad object does not hide the others' results; the exit
// code is the first failure's. Only an unreachable server stops the run.
async function applyAll(
  loaded: LoadedManifest[],
  client: ReturnType<typeof clientFor>,
  deps: CliDeps,
  retry: { words: string[]; flags: Record<string, string> },
) {
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
      const failure = describeFailure(err, `${ref(manifest.kind, name)}${where}: `, retry.words.length ? retry : undefined);
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
