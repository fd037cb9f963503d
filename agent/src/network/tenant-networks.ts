// Pure decisions about the per-tenant networks of one node: their names, which must exist before
// containers are created, and which may go. Converged input plans nothing.
import { createHash } from 'node:crypto';
import type { ContainerSpec } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';

/**
 * Network name and bridge interface name at once (an interface name has at most 15 characters),
 * so the isolation rules match every tenant bridge with one wildcard and need no change when
 * tenants come and go.
 */
export const TENANT_NETWORK_PREFIX = 'berth-';
export const TENANT_INTERFACES = `${TENANT_NETWORK_PREFIX}+`;

/** An empty network is kept this long, so a tenant's next container does not wait for a new one. */
export const DEFAULT_NETWORK_LINGER_MS = 10 * 60_000;

export interface ObservedNetwork {
  id: string;
  name: string;
  tenant: string;
}

export type NetworkAction = { kind: 'create'; name: string; tenant: string } | { kind: 'remove'; id: string; name: string; tenant: string };

/**
 * A container without a known owner (from an older controller) is a tenant of its own: sharing a
 * network with strangers is exactly what the networks prevent.
 */
export function tenantOf(spec: Pick<ContainerSpec, 'tenant' | 'reservationId'>): string {
  return spec.tenant || `reservation/${spec.reservationId}`;
}

export function tenantNetworkName(nodeName: string, tenant: string): string {
  const digest = createHash('sha256').update(`${nodeName}\0${tenant}`).digest('hex');
  return `${TENANT_NETWORK_PREFIX}${digest.slice(0, 15 - TENANT_NETWORK_PREFIX.length)}`;
}

/**
 * Networks to create before the containers of these specs are: one per tenant that has none (its
 * own, named after it, or a spare it was given; see network-pool.ts).
 */
export function planNetworkSetup(desired: readonly ContainerSpec[], observed: readonly ObservedNetwork[], nodeName: string): NetworkAction[] {
  const present = new Set(observed.map((n) => n.tenant));
  const wanted = new Map<string, string>();
  for (const spec of desired) {
    const tenant = tenantOf(spec);
    if (!present.has(tenant)) wanted.set(tenantNetworkName(nodeName, tenant), tenant);
  }
  return [...wanted].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, tenant]) => ({ kind: 'create', name, tenant }));
}

export interface NetworkRelease {
  actions: NetworkAction[];
  /** network name -> since when it has had no desired container and no container at all. */
  idleSince: Map<string, number>;
}

/**
 * Networks no desired spec and no container uses any more, once idle for lingerMs. The engine
 * refuses to remove a network with containers attached, and a container of it is only removed
 * before this runs, so nothing is pulled from under a running container.
 */
export function planNetworkRelease(
  desired: readonly ContainerSpec[],
  networks: readonly ObservedNetwork[],
  containers: readonly ObservedContainer[],
  idleSince: ReadonlyMap<string, number>,
  now: number,
  lingerMs: number,
): NetworkRelease {
  const tenantsInUse = new Set([...desired.map(tenantOf), ...containers.map((c) => tenantOf({ tenant: c.tenant, reservationId: c.reservationId }))]);
  const nextIdle = new Map<string, number>();
  const actions: NetworkAction[] = [];
  for (const n of networks) {
    if (tenantsInUse.has(n.tenant)) continue;
    const since = idleSince.get(n.name) ?? now;
    if (now - since >= lingerMs) actions.push({ kind: 'remove', id: n.id, name: n.name, tenant: n.tenant });
    else nextIdle.set(n.name, since);
  }
  return { actions, idleSince: nextIdle };
}
