// `berth get KIND -w`: prints each change as it happens from the server's ?watch=1 stream.
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { formatList, type OutputFormat } from '../format.ts';
import type { KindInfo } from '../kinds.ts';
import { lineSplitter, streamGet } from '../stream-request.ts';

export async function watchKind(cmd: Command, deps: CliDeps, info: KindInfo, output: OutputFormat): Promise<void> {
  let header = true;
  await streamGet(
    cmd,
    deps,
    `api/v1/${info.plural}?watch=1`,
    lineSplitter((line) => {
      const event = JSON.parse(line) as { type: string; object: unknown };
      if (output === 'json') return deps.stdout(`${JSON.stringify(event)}\n`);
      if (output === 'yaml' || output === 'name') {
        return deps.stdout(
          formatList(info, { apiVersion: 'berth/v1', kind: 'List', items: [event.object] } as never, output, deps.now()).replace(/^/, `# ${event.type}\n`),
        );
      }
      const lines = formatList(info, { apiVersion: 'berth/v1', kind: 'List', items: [event.object] } as never, output, deps.now())
        .trimEnd()
        .split('\n');
      if (header) deps.stdout(`${'EVENT'.padEnd(10)}${lines[0]}\n`);
      header = false;
      for (const l of lines.slice(1)) deps.stdout(`${event.type.padEnd(10)}${l}\n`);
    }),
  );
}
