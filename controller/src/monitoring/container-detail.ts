// What `berth describe reservation` shows of the container itself: the confinement the node's
// engine applied, as the agent read it back from the engine (not what the controller asked for),
// and its disk use against its limit.
import type { ContainerStatus } from '@berth/proto';
import type { Monitoring } from './monitoring.ts';

export interface ContainerDetail {
  id: string;
  state: string;
  message?: string;
  security?: {
    network: string;
    pidsLimit: number;
    noNewPrivileges: boolean;
    capabilities: string[];
    memorySwap: string;
    logs: string;
    ephemeralStorage: { limit: string; used: string };
  };
}

/** Pure: the report of one container, in describe's words. */
export function containerDetail(c: ContainerStatus): ContainerDetail {
  const s = c.security;
  return {
    id: c.containerId.slice(0, 12),
    state: c.state,
    ...(c.message ? { message: c.message } : {}),
    ...(s
      ? {
          security: {
            network: s.network,
            pidsLimit: s.pidsLimit,
            noNewPrivileges: s.noNewPrivileges,
            capabilities: s.capabilities,
            memorySwap: `${bytes(s.memorySwapBytes)} (equal to memory: no swap)`,
            logs: `json-file, ${s.logMaxFiles} x ${s.logMaxSize}`,
            ephemeralStorage: {
              limit: bytes(s.ephemeralStorageLimitBytes),
              used: s.ephemeralStorageUsedBytes ? bytes(s.ephemeralStorageUsedBytes) : 'not measured yet',
            },
          },
        }
      : {}),
  };
}

/** The latest report of a reservation's container from whichever connected node runs it. */
export function observedContainer(
  mon: Pick<Monitoring, 'observed' | 'connectedNodeIds'>,
  reservationId: string,
  generation: number,
): ContainerStatus | undefined {
  const found = mon
    .connectedNodeIds()
    .map((n) => mon.observed(n)?.get(reservationId))
    .filter((c): c is ContainerStatus => !!c?.containerId);
  return found.find((c) => c.generation === generation) ?? found[0];
}

function bytes(n: number): string {
  const mib = n / 1048576;
  if (mib >= 1024 && Number.isInteger(mib / 1024)) return `${mib / 1024}Gi`;
  return Number.isInteger(mib) ? `${mib}Mi` : `${n}B`;
}
