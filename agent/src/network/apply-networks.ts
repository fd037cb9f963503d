// Effects of the tenant-network plans: create before containers, remove after them.
import type pino from 'pino';
import type { ContainerSpec } from '@berth/proto';
import type { TenantNetworkHost } from './docker-networks.ts';
import { planNetworkSetup, tenantNetworkName, tenantOf, type NetworkAction } from './tenant-networks.ts';

/** Creates the missing networks of these specs; returns reservationId -> why its network is missing. */
export async function setupNetworks(
  specs: readonly ContainerSpec[],
  host: TenantNetworkHost,
  nodeName: string,
  log?: pino.Logger,
): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  const actions = planNetworkSetup(specs, await host.list(), nodeName);
  for (const action of actions) {
    if (action.kind !== 'create') continue;
    try {
      await host.create(action.name, action.tenant);
      log?.info({ network: action.name, tenant: action.tenant }, 'tenant network created');
    } catch (err) {
      const message = `network failed: ${err instanceof Error ? err.message : String(err)}`;
      for (const s of specs) if (tenantNetworkName(nodeName, tenantOf(s)) === action.name) failures.set(s.reservationId, message);
    }
  }
  return failures;
}

/** Removes networks no longer used; a failure waits for the next pass. */
export async function releaseNetworks(actions: readonly NetworkAction[], host: TenantNetworkHost, log?: pino.Logger): Promise<void> {
  for (const action of actions) {
    if (action.kind !== 'remove') continue;
    try {
      await host.remove(action.id);
      log?.info({ network: action.name, tenant: action.tenant }, 'tenant network removed');
    } catch (err) {
      log?.warn({ network: action.name, err: err instanceof Error ? err.message : String(err) }, 'tenant network removal failed');
    }
  }
}
