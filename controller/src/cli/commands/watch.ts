// `berth get KIND -w`: prints each change as it happens from the server's ?watch=1 stream.
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { formatList, streamingTable, type OutputFormat } from '../format.ts';
import type { KindInfo } from '../kinds.ts';
import { lineSplitter, streamGet } from '../stream-request.ts';

interface WatchEvent {
  type: string;
  object: unknown;
}

const FINAL_PHASES = new Set(['Expired', 'Failed', 'Deleted']);

/**
 * A DELETED event carries the object as it was last listed (e.g. Running): what the row shows is
 * that it is gone, so a live reservation reads Deleted, without endpoints or conditions.
 */
export function asShown(info: KindInfo, event: WatchEvent): unknown {
  if (event.type !== 'DELETED' || info.kind !== 'Reservation') return event.object;
  const object = event.object as { status?: { phase?: string } };
  const status = object.status ?? {};
  if (status.phase && FINAL_PHASES.has(status.phase)) return object;
  return { ...object, status: { ...status, phase: 'Deleted', endpoints: [], conditions: [] } };
}

export async function watchKind(cmd: Command, deps: CliDeps, info: KindInfo, output: OutputFormat): Promise<void> {
  const table = streamingTable(info.kind, output === 'wide', { header: 'EVENT', width: 'MODIFIED'.length });
  const asList = (object: unknown) => ({ apiVersion: 'berth/v1', kind: 'List', items: [object] }) as never;
  await streamGet(
    cmd,
    deps,
    `api/v1/${info.plural}?watch=1`,
    lineSplitter((line) => {
      const event = JSON.parse(line) as WatchEvent;
      if (output === 'json') return deps.stdout(`${JSON.stringify(event)}\n`);
      if (output === 'yaml' || output === 'name') return deps.stdout(`# ${event.type}\n${formatList(info, asList(event.object), output, deps.now())}`);
      deps.stdout(table.row(event.type, asShown(info, event), deps.now()));
    }),
    // The header as soon as the server answers: an empty list sends no event for a long time.
    () => {
      if (output === 'table' || output === 'wide') deps.stdout(table.header());
    },
  );
}
