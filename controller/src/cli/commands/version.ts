import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';

export function clientVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export function registerVersion(program: Command, deps: CliDeps): void {
  program
    .command('version')
    .description('print the client version')
    .action(() => deps.stdout(`berth version ${clientVersion()}\n`));
}
