// Everything the CLI prints about objects: tables per kind, -o json|yaml|name, and describe.
// Pure: objects in, text out; the clock is a parameter.
import { formatMemoryMiB } from '../manifests/quantity.ts'; // not index.ts: keeps zod out of plain reads
import { isNodeReady } from '../domain/node-ready.ts';
import type { KindInfo } from './kinds.ts';
import { yaml } from '../lib/lazy-yaml.ts';
import { age, cell, renderTable, shortTime } from './table.ts';
import type { ApiList, ApiObject, EventObject } from './types.ts';

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = 'table' | (typeof OUTPUT_FORMATS)[number];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

/** The API stores memory as whole MiB; manifests may still carry the user's own "1Gi". */
export function formatMemory(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return formatMemoryMiB(value);
  return cell(value);
}

export function formatCost(cost: unknown): string {
  const { cents, currency } = obj(cost);
  if (typeof cents !== 'number') return '<none>';
  const amount = (cents / 100).toFixed(2);
  return !currency || currency === 'USD' ? `$${amount}` : `${amount} ${String(currency)}`;
}

function nodeStatus(node: Obj): string {
  const status = isNodeReady(node.status) ? 'Ready' : 'NotReady';
  return obj(node.spec).unschedulable === true ? `${status},SchedulingDisabled` : status;
}

function endpoints(status: Obj): string {
  const addresses = arr(status.endpoints).map((e) => String(e.address ?? ''));
  return addresses.filter(Boolean).join(',') || '<none>';
}

interface Columns {
  headers: string[];
  row: (item: Obj, now: Date) => string[];
}

const name = (item: Obj) => String(obj(item.metadata).name ?? '');
const created = (item: Obj, now: Date) => age(obj(item.metadata).creationTimestamp, now);

function columns(kind: KindInfo['kind'], wide: boolean): Columns {
  switch (kind) {
    case 'Image':
      return {
        headers: ['NAME', 'REF', 'PORTS', 'CORES', 'MEMORY', 'AGE'],
        row: (item, now) => {
          const spec = obj(item.spec);
          const res = obj(spec.resources);
          const ports = arr(spec.ports)
            .map((p) => `${String(p.name)}:${String(p.port)}`)
            .join(',');
          return [name(item), cell(spec.ref), ports || '<none>', cell(res.cores), formatMemory(res.memory), created(item, now)];
        },
      };
    case 'Reservation':
      return reservationColumns(wide);
    case 'Node':
      return {
        headers: ['NAME', 'STATUS', 'ADDRESS', 'CORES', 'MEMORY', 'AGE'],
        row: (item, now) => {
          const spec = obj(item.spec);
          return [name(item), nodeStatus(item), cell(spec.address), cell(spec.cores), formatMemory(spec.memory), created(item, now)];
        },
      };
    case 'Event':
      return {
        headers: ['TIME', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
        row: (item, now) => {
          const involved = obj(item.involvedObject);
          const target = `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`;
          return [age(item.time, now), cell(item.type), cell(item.reason), target, cell(item.message)];
        },
      };
  }
}

// Like kubectl's STATUS column: a phase alone would say Starting or Running for a container that
// cannot pull or keeps failing, so the reason of a Ready=False condition follows it.
const QUIET_REASONS = new Set(['ContainerCreating', 'Expired', 'Deleted']);

function phaseCell(status: Record<string, unknown>): string {
  const conditions = (status.conditions ?? []) as Array<{ type: string; status: string; reason: string }>;
  const ready = conditions.find((c) => c.type === 'Ready');
  const phase = cell(status.phase);
  return ready?.status === 'False' && ready.reason && !QUIET_REASONS.has(ready.reason) ? `${phase}/${ready.reason}` : phase;
}

function reservationColumns(wide: boolean): Columns {
  const headers = ['NAME', 'IMAGE', 'PHASE', 'NODE', 'ENDPOINTS', 'START', 'END'];
  return {
    headers: wide ? [...headers, 'PROFILE', 'CORES', 'MEMORY', 'COST', 'AGE'] : headers,
    row: (item, now) => {
      const spec = obj(item.spec);
      const status = obj(item.status);
      const row = [
        name(item),
        cell(spec.image),
        phaseCell(status),
        cell(status.node),
        endpoints(status),
        shortTime(status.startTime ?? spec.start),
        shortTime(status.endTime),
      ];
      if (!wide) return row;
      // status.resources holds what was granted (image defaults applied); spec only what was asked.
      const granted = (status.resources ?? {}) as { cores?: number; memory?: string };
      return [
        ...row,
        cell(spec.profile),
        cell(granted.cores ?? spec.cores),
        formatMemory(granted.memory ?? spec.memory),
        formatCost(status.cost),
        created(item, now),
      ];
    },
  };
}

export function formatTable(kind: KindInfo['kind'], items: unknown[], opts: { wide?: boolean; now: Date }): string {
  const { headers, row } = columns(kind, opts.wide ?? false);
  const sorted = kind === 'Event' ? [...items].sort(byTime) : items;
  return renderTable(
    headers,
    sorted.map((item) => row(obj(item), opts.now)),
  );
}

// Widths of a streamed table (`get -w`), which is printed row by row and cannot measure the
// rows ahead: the widest value a column usually holds. A longer one shifts its row, as in kubectl.
const STREAM_WIDTHS: Record<string, number> = { NAME: 16, IMAGE: 10, PHASE: 10, NODE: 10, ENDPOINTS: 21, START: 20, END: 20, STATUS: 8, ADDRESS: 15 };

/** A table printed as it streams: the header at once, then one row per object, columns fixed. */
export function streamingTable(kind: KindInfo['kind'], wide: boolean, lead: { header: string; width: number }) {
  const { headers, row } = columns(kind, wide);
  const widths = [lead.width, ...headers.map((h) => Math.max(h.length, STREAM_WIDTHS[h] ?? 8))];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd() + '\n';
  return {
    header: () => line([lead.header, ...headers]),
    row: (first: string, item: unknown, now: Date) => line([first, ...row(obj(item), now)]),
  };
}

function byTime(a: unknown, b: unknown): number {
  return (Date.parse(String(obj(a).time)) || 0) - (Date.parse(String(obj(b).time)) || 0);
}

function itemRef(info: KindInfo, item: unknown): string {
  const meta = obj(obj(item).metadata);
  return `${info.singular}/${String(meta.name ?? obj(item).reason ?? '')}`;
}

function serialize(value: unknown, output: 'json' | 'yaml'): string {
  return output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : yaml().stringify(value);
}

/** A list as the user asked for it. JSON/YAML keep apiVersion and kind, like kubectl's List. */
export function formatList(info: KindInfo, list: ApiList<unknown>, output: OutputFormat, now: Date): string {
  if (output === 'json' || output === 'yaml') {
    const whole = { apiVersion: list.apiVersion, kind: list.kind ?? `${info.kind}List`, items: list.items };
    return serialize(whole, output);
  }
  if (output === 'name') return list.items.map((item) => `${itemRef(info, item)}\n`).join('');
  return formatTable(info.kind, list.items, { wide: output === 'wide', now });
}

export function formatObject(info: KindInfo, object: unknown, output: OutputFormat, now: Date): string {
  if (output === 'json' || output === 'yaml') return serialize(object, output);
  if (output === 'name') return `${itemRef(info, object)}\n`;
  return formatTable(info.kind, [object], { wide: output === 'wide', now });
}

/** Events for describe: either what the server returned or why they could not be fetched. */
export type DescribeEvents = { items: EventObject[] } | { error: string };

/** A reservation's recent webhook delivery attempts (newest first), or why they could not be fetched. */
export type DescribeDeliveries =
  | { items: Array<{ event: string; host: string; attempt: number; statusCode?: number; error?: string; time: string }> }
  | { error: string };

export function formatDescribe(object: ApiObject, events: DescribeEvents, now: Date, deliveries?: DescribeDeliveries): string {
  const sections = [header(object, now), section('Spec', yamlBlock(object.spec)), section('Status', yamlBlock(statusForDescribe(obj(object.status))))];
  const status = obj(object.status);
  if (status.image && typeof status.image === 'object') sections.push(section('Image', admittedImageBlock(obj(status.image))));
  if (Array.isArray(status.endpoints)) sections.push(section('Endpoints', endpointTable(status)));
  sections.push(section('Conditions', conditionTable(status, now)));
  sections.push(section('Events', eventTable(events, now)));
  if (deliveries) sections.push(section('Webhook deliveries', deliveryTable(deliveries, now)));
  return sections.join('');
}

function header(object: ApiObject, now: Date): string {
  const meta = obj(object.metadata);
  const labels = Object.entries(obj(meta.labels)).map(([k, v]) => `${k}=${String(v)}`);
  const ts = meta.creationTimestamp;
  const fields: [string, string][] = [
    ['Name', cell(meta.name)],
    ['Kind', cell(object.kind)],
    ['UID', cell(meta.uid)],
    ['Labels', labels.length ? labels.join('\n' + ' '.repeat(13)) : '<none>'],
    ['Generation', cell(meta.generation)],
    ['Created', ts ? `${shortTime(ts)} (${ago(ts, now)})` : '<unknown>'],
  ];
  return fields.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`).join('');
}

function section(title: string, body: string): string {
  return `${title}:${body.startsWith('  ') ? '\n' : ''}${body}`;
}

function yamlBlock(value: unknown): string {
  if (value === undefined || (typeof value === 'object' && value !== null && !Object.keys(value).length)) {
    return ' <none>\n';
  }
  return yaml()
    .stringify(value)
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}\n`)
    .join('');
}

// Conditions and endpoints get tables of their own; cost reads better as money.
function statusForDescribe(status: Obj): Obj {
  const { conditions: _c, endpoints: _e, image: _i, ...rest } = status;
  if (rest.cost !== undefined) rest.cost = formatCost(rest.cost);
  return rest;
}

// A reservation runs the image it was admitted with; the user must not expect an Image edit to reach it.
function admittedImageBlock(image: Obj): string {
  const spec = obj(image.spec);
  const generation = image.generation === undefined ? '' : ` generation ${cell(image.generation)}`;
  const line = `  ${cell(spec.ref)} (image ${cell(image.name)}${generation}, as admitted; later edits of the image apply only to new reservations)\n`;
  return line + yamlBlock(spec);
}

function endpointTable(status: Obj): string {
  const rows = arr(status.endpoints).map((e) => [cell(e.name), cell(e.port), cell(e.address)]);
  return rows.length ? renderTable(['NAME', 'PORT', 'ADDRESS'], rows, '  ') : ' <none>\n';
}

function conditionTable(status: Obj, now: Date): string {
  const rows = arr(status.conditions).map((c) => [cell(c.type), cell(c.status), cell(c.reason), ago(c.lastTransitionTime, now), cell(c.message)]);
  return rows.length ? renderTable(['TYPE', 'STATUS', 'REASON', 'LAST TRANSITION', 'MESSAGE'], rows, '  ') : ' <none>\n';
}

function ago(timestamp: unknown, now: Date): string {
  const a = age(timestamp, now);
  return a === '<unknown>' ? a : `${a} ago`;
}

function deliveryTable(d: DescribeDeliveries, now: Date): string {
  if ('error' in d) return ` <unavailable: ${d.error}>\n`;
  const rows = d.items.map((a) => [
    age(a.time, now),
    a.event,
    a.host,
    String(a.attempt),
    a.statusCode === undefined ? '-' : String(a.statusCode),
    a.error ?? '',
  ]);
  return rows.length ? renderTable(['AGE', 'EVENT', 'HOST', 'ATTEMPT', 'STATUS', 'ERROR'], rows, '  ') : ' <none>\n';
}

function eventTable(events: DescribeEvents, now: Date): string {
  if ('error' in events) return ` <unavailable: ${events.error}>\n`;
  const rows = [...events.items].sort(byTime).map((e) => [age(e.time, now), cell(e.type), cell(e.reason), cell(e.message)]);
  return rows.length ? renderTable(['AGE', 'TYPE', 'REASON', 'MESSAGE'], rows, '  ') : ' <none>\n';
}
