// NodeRestriction for reports: a node may only tell the controller about reservations placed on
// it. The hub keeps, per stream, the ids it knows are the node's (what it was sent, or what the
// store said) and the ids it knows are not; only the rest need the store. Pure.
import type { ContainerStatus } from '@berth/proto';

/** Reservation ids are UUIDs; anything else cannot be a reservation of this node. */
const RESERVATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** At most this many unknown ids are looked up per report; a flood of made-up ids costs one bounded query. */
export const MAX_LOOKUPS_PER_REPORT = 256;

export interface Ownership {
  owned: Set<string>;
  foreign: Set<string>;
}

export interface ReportSplit {
  accepted: ContainerStatus[];
  /** Ids to ask the store about (bounded by MAX_LOOKUPS_PER_REPORT). */
  unknown: string[];
  rejected: string[];
}

export function splitReport(containers: readonly ContainerStatus[], o: Ownership): ReportSplit {
  const split: ReportSplit = { accepted: [], unknown: [], rejected: [] };
  for (const c of containers) {
    const id = c.reservationId;
    if (o.owned.has(id)) split.accepted.push(c);
    else if (o.foreign.has(id) || !RESERVATION_ID.test(id) || split.unknown.length >= MAX_LOOKUPS_PER_REPORT) split.rejected.push(id);
    else split.unknown.push(id);
  }
  return split;
}

/** What the store answered for the unknown ids: learnt both ways, so the next report costs nothing. */
export function learn(o: Ownership, unknown: readonly string[], ownedNow: ReadonlySet<string>): void {
  for (const id of unknown) (ownedNow.has(id) ? o.owned : o.foreign).add(id);
}

/**
 * After a push: the node owns what it was just sent and what it still reports (containers being
 * removed), nothing older, so the sets stay the size of the node's work.
 */
export function afterPush(o: Ownership, sent: Iterable<string>, reported: Iterable<string>): Ownership {
  const owned = new Set([...sent, ...reported]);
  return { owned, foreign: new Set([...o.foreign].filter((id) => !owned.has(id))) };
}
