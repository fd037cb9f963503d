import { BerthError } from '../errors/index.ts';

export type Plural = 'images' | 'reservations' | 'nodes' | 'events';

export interface KindInfo {
  kind: 'Image' | 'Reservation' | 'Node' | 'Event';
  plural: Plural;
  singular: string;
  short: string;
  /** Events can only be listed, never fetched, described or deleted by name. */
  listOnly: boolean;
}

export const RESOURCE_KINDS: readonly KindInfo[] = [
  { kind: 'Image', plural: 'images', singular: 'image', short: 'img', listOnly: false },
  { kind: 'Reservation', plural: 'reservations', singular: 'reservation', short: 'res', listOnly: false },
  { kind: 'Node', plural: 'nodes', singular: 'node', short: 'no', listOnly: false },
  { kind: 'Event', plural: 'events', singular: 'event', short: 'ev', listOnly: true },
];

const KNOWN = RESOURCE_KINDS.map((k) => `${k.plural} (${k.short})`).join(', ');

/** Accepts singular, plural, short form or the Kind itself, case-insensitively. */
export function resolveKind(input: string): KindInfo {
  const wanted = input.trim().toLowerCase();
  const found = RESOURCE_KINDS.find((k) => wanted === k.singular || wanted === k.plural || wanted === k.short);
  if (!found) throw new BerthError('Invalid', `unknown resource type "${input}"; known types: ${KNOWN}`);
  return found;
}

/** Splits `KIND NAME...` or `KIND/NAME` (kubectl style) into a kind and names. */
export function resolveTarget(kindArg: string, names: string[]): { info: KindInfo; names: string[] } {
  const slash = kindArg.indexOf('/');
  if (slash < 0) return { info: resolveKind(kindArg), names };
  const name = kindArg.slice(slash + 1);
  if (!name) throw new BerthError('Invalid', `"${kindArg}" names no object; use KIND/NAME`);
  return { info: resolveKind(kindArg.slice(0, slash)), names: [name, ...names] };
}

export function ref(kind: string, name: string | undefined): string {
  return `${kind.toLowerCase()}/${name ?? '<unnamed>'}`;
}
