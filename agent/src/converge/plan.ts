import type { ContainerSpec } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import { specHash } from './spec-hash.ts';

export type RemoveReason = 'undesired' | 'duplicate' | 'outdated' | 'dead';

export type Action =
  | { kind: 'remove'; reservationId: string; containerId: string; reason: RemoveReason }
  | { kind: 'pull'; image: string; reservationIds: string[] }
  /** Creates the container, and starts it when `start` (else its window has not opened yet). */
  | { kind: 'create'; spec: ContainerSpec; specHash: string; start: boolean }
  | { kind: 'start'; reservationId: string; containerId: string };

// States in which the engine will not bring the container back by itself.
const STARTABLE = new Set(['created', 'exited']);

/**
 * Decides what to do to make the observed containers match the desired ones. Order matters:
 * removals of unwanted containers first (they free names and ports), then pulls, then the
 * removals that precede a recreate (so a slow pull does not lengthen the outage), then creates
 * and starts.
 */
export function planConverge(
  desired: ContainerSpec[],
  observed: ObservedContainer[],
  imagesPresent: Set<string>,
  now: number,
  /** Reservations whose storage or network is not in place: nothing of theirs is created or started. */
  storageBlocked: ReadonlySet<string> = new Set(),
  /** Containers the agent stopped on purpose (over their disk limit): they stay stopped. */
  evicted: ReadonlySet<string> = new Set(),
): Action[] {
  const due = (spec: ContainerSpec) => !spec.startAtMs || spec.startAtMs <= now;
  const wanted = new Map(desired.map((s) => [s.reservationId, s]));
  const byReservation = groupByReservation(observed);
  const early: Action[] = [];
  const late: Action[] = [];
  const creates: Array<Extract<Action, { kind: 'create' }>> = [];
  const starts: Action[] = [];

  for (const [reservationId, containers] of byReservation) {
    if (!wanted.has(reservationId)) {
      for (const c of containers) early.push(remove(c, 'undesired'));
    }
  }
  for (const spec of wanted.values()) {
    const hash = specHash(spec);
    const containers = byReservation.get(spec.reservationId) ?? [];
    // A container being removed holds its name; wait for it to go before creating another.
    if (containers.some((c) => c.state === 'removing')) continue;
    // Without its storage a container would write its data to the wrong place.
    if (storageBlocked.has(spec.reservationId)) continue;
    const [keep, ...extra] = rankForKeeping(containers, spec, hash);
    for (const c of extra) early.push(remove(c, 'duplicate'));
    if (!keep) {
      creates.push({ kind: 'create', spec, specHash: hash, start: due(spec) });
    } else if (keep.generation !== spec.generation || keep.specHash !== hash) {
      late.push(remove(keep, 'outdated'));
      creates.push({ kind: 'create', spec, specHash: hash, start: due(spec) });
    } else if (keep.state === 'dead') {
      late.push(remove(keep, 'dead'));
      creates.push({ kind: 'create', spec, specHash: hash, start: due(spec) });
    } else if (STARTABLE.has(keep.state) && due(spec) && !evicted.has(keep.id)) {
      starts.push({ kind: 'start', reservationId: spec.reservationId, containerId: keep.id });
    }
  }
  return [...early, ...pulls(creates, imagesPresent), ...late, ...creates, ...starts];
}

function remove(c: ObservedContainer, reason: RemoveReason): Action {
  return { kind: 'remove', reservationId: c.reservationId, containerId: c.id, reason };
}

function groupByReservation(observed: ObservedContainer[]): Map<string, ObservedContainer[]> {
  const groups = new Map<string, ObservedContainer[]>();
  for (const c of observed) {
    const list = groups.get(c.reservationId) ?? [];
    list.push(c);
    groups.set(c.reservationId, list);
  }
  return groups;
}

/** Best container first: up to date, then running, then most recently started, then by id for determinism. */
function rankForKeeping(containers: ObservedContainer[], spec: ContainerSpec, hash: string): ObservedContainer[] {
  const score = (c: ObservedContainer): number[] => [
    c.generation === spec.generation && c.specHash === hash ? 1 : 0,
    c.state === 'running' ? 1 : 0,
    c.startedAtMs,
  ];
  return [...containers].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i] - sa[i];
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

function pulls(creates: Array<Extract<Action, { kind: 'create' }>>, imagesPresent: Set<string>): Action[] {
  const needed = new Map<string, string[]>();
  for (const c of creates) {
    if (imagesPresent.has(c.spec.image)) continue;
    needed.set(c.spec.image, [...(needed.get(c.spec.image) ?? []), c.spec.reservationId]);
  }
  return [...needed].map(([image, reservationIds]) => ({ kind: 'pull', image, reservationIds }));
}

/** The earliest start still in the future, when the loop must wake to start a prepared container. */
export function nextStart(desired: ContainerSpec[], now: number): number | undefined {
  const future = desired.map((s) => s.startAtMs ?? 0).filter((t) => t > now);
  return future.length ? Math.min(...future) : undefined;
}
