import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BUILD } from '@berth/proto/build-info';
import type { CliDeps } from '../deps.ts';

export function clientVersion(): string {
  if (BUILD) return BUILD.version;
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** The build's commit; from sources, the checkout's (asked of git only when `version` runs). */
export function clientCommit(): string {
  if (BUILD) return BUILD.commit;
  try {
    const dir = new URL('.', import.meta.url);
    const { execFileSync } = process.getBuiltinModule('node:child_process');
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${commit} (sources)`;
  } catch {
    return 'unknown (sources)';
  }
}

export function registerVersion(program: Command, deps: CliDeps): void {
  program
    .command('version')
    .description('print the version and the commit it was built from')
    .action(() => deps.stdout(`berth version ${clientVersion()} commit ${clientCommit()}\n`));
}
