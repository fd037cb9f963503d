// `berth availability IMAGE --duration 2h [...]`: the earliest windows a request would be admitted in.
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { quote } from '../counter-offers.ts';
import { renderTable, shortTime } from '../table.ts';
import { clientFor } from './context.ts';

interface Offer {
  start: string;
  end: string;
  latestStart: string;
  cores: number;
  memory: string;
  nodeCount?: number;
  nodes?: string[];
}
export interface AvailabilityView {
  request: { image: string; duration: string; cores: number; memory: string; profile: string };
  range: { from: string; until: string };
  offers: Offer[];
}

const QUERY = ['duration', 'cores', 'memory', 'profile', 'from', 'until', 'limit', 'node'] as const;

export function registerAvailability(program: Command, deps: CliDeps): void {
  program
    .command('availability')
    .description('when a reservation of IMAGE would fit: the earliest windows, at most --limit (nothing is held)')
    .argument('<image>', 'image name')
    .requiredOption('--duration <duration>', 'how long, e.g. 90m or 2h')
    .option('--cores <cores>', 'cores (default: the image default)')
    .option('--memory <memory>', 'memory (default: the image default)')
    .option('--profile <profile>', 'ephemeral | local | remote')
    .option('--from <time>', 'earliest start, RFC 3339 (default: now)')
    .option('--until <time>', 'latest start, RFC 3339 (default: 7 days after --from; at most 30 days after it)')
    .option('--limit <n>', 'how many windows, 1 to 20 (default 5)')
    .option('--node <name>', 'only this node (admins)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (image: string, flags: Partial<Record<(typeof QUERY)[number] | 'output', string>>, cmd: Command) => {
      if (flags.output !== 'text' && flags.output !== 'json')
        throw new BerthError('Invalid', `--output: must be text or json, got "${flags.output}"`, 'output');
      const query = new URLSearchParams({ image });
      for (const key of QUERY) if (flags[key] !== undefined) query.set(key, flags[key]!);
      const view = await clientFor(cmd, deps).request<AvailabilityView>('GET', `api/v1/availability?${query}`);
      deps.stdout(flags.output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : formatAvailability(view));
    });
}

/** The offers as a table, then how to take the first one. Pure. */
export function formatAvailability(view: AvailabilityView): string {
  const r = view.request;
  const what = `${r.image} for ${r.duration} (${r.cores} cores, ${r.memory})`;
  if (view.offers.length === 0) return `no window for ${what} starts between ${shortTime(view.range.from)} and ${shortTime(view.range.until)}\n`;
  const admin = view.offers.some((o) => o.nodes);
  const headers = ['START', 'END', 'LATEST START', 'CORES', 'MEMORY', ...(admin ? ['NODES'] : [])];
  const rows = view.offers.map((o) => [
    shortTime(o.start),
    shortTime(o.end),
    shortTime(o.latestStart),
    String(o.cores),
    o.memory,
    ...(admin ? [`${(o.nodes ?? []).join(',')}${(o.nodeCount ?? 0) > (o.nodes?.length ?? 0) ? ` (+${o.nodeCount! - o.nodes!.length})` : ''}`] : []),
  ]);
  const first = view.offers[0];
  const take = ['berth', 'apply', '-f', 'FILE', '--start', first.start, '--duration', r.duration].map(quote).join(' ');
  return `${renderTable(headers, rows)}fits ${what} at any start from START to LATEST START; e.g. ${take}\n`;
}
