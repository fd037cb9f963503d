// Pure decisions of the warm pool of spare tenant networks: a new tenant's first container on the
// node takes a spare instead of waiting for the engine to create a network (60-70 ms), and the
// pool is refilled afterwards. A spare, once handed to a tenant, belongs to that tenant until it is
// removed: it is never handed to anyone else.
import { randomBytes } from 'node:crypto';
import { TENANT_NETWORK_PREFIX } from './tenant-networks.ts';

/** Spares kept ready per node: two new tenants in a row still find one each. */
export const DEFAULT_SPARE_NETWORKS = 2;

export interface RawNetwork {
  id: string;
  name: string;
  /** From the network's label: set for networks created for a tenant, empty for spares. */
  tenant: string;
  spare: boolean;
}

/** What the agent's state dir says about the spares: whose they are, and which are still free. */
export interface PoolRecord {
  assigned: Map<string, string>;
  free: Set<string>;
}

export interface PoolView {
  /** network name -> tenant: the tenant networks, created for a tenant or assigned from the pool. */
  tenants: Map<string, { id: string; tenant: string }>;
  /** Spares free to hand out, in a stable order. */
  free: string[];
  /**
   * Spares the record does not name (a crash between create and record, or a wiped state dir):
   * one may have carried a tenant's traffic, so it is never handed out; removed when empty.
   */
  tainted: RawNetwork[];
  /** Recorded networks that are gone: to forget. */
  stale: string[];
}

/** What the engine's networks mean, given the record. */
export function viewPool(networks: readonly RawNetwork[], record: PoolRecord): PoolView {
  const view: PoolView = { tenants: new Map(), free: [], tainted: [], stale: [] };
  const present = new Set(networks.map((n) => n.name));
  for (const n of networks) {
    const tenant = n.spare ? record.assigned.get(n.name) : n.tenant;
    if (tenant) view.tenants.set(n.name, { id: n.id, tenant });
    else if (n.spare && record.free.has(n.name)) view.free.push(n.name);
    else if (n.spare) view.tainted.push(n);
  }
  view.free.sort();
  for (const name of [...record.assigned.keys(), ...record.free]) if (!present.has(name)) view.stale.push(name);
  return view;
}

/** How many spares to create now. */
export function sparesToCreate(free: number, target: number): number {
  return Math.max(0, target - free);
}

/** A fresh spare's name: the tenant-network prefix (the isolation rules match it), 15 characters. */
export function spareNetworkName(random: Buffer = randomBytes(8)): string {
  return `${TENANT_NETWORK_PREFIX}${random.toString('hex').slice(0, 15 - TENANT_NETWORK_PREFIX.length)}`;
}
