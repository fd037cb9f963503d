import type { ContainerReport, ContainerSpec, ContainerStatus, MountStatus } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import type { Failures } from './apply.ts';
import type { EphemeralStorageView } from '../monitoring/ephemeral-storage.ts';

/**
 * The full observed set, as the controller wants it: every Berth container on the node, plus a
 * `failed` entry for each desired reservation that has no container because something failed.
 */
export function buildReport(
  appliedVersion: number,
  desired: ContainerSpec[],
  observed: ObservedContainer[],
  failures: Failures,
  /** reservationId -> its storage status (local / remote profiles). */
  mounts: ReadonlyMap<string, MountStatus[]> = new Map(),
  /** Containers stopped for their disk use (reported failed, with why) and disk use measured. */
  ephemeral?: EphemeralStorageView,
): ContainerReport {
  const containers: ContainerStatus[] = observed.map((c) => {
    const evicted = ephemeral?.evicted(c.id);
    const used = ephemeral?.usedBytes(c.id);
    return {
      reservationId: c.reservationId,
      generation: c.generation,
      containerId: c.id,
      state: evicted ? 'failed' : c.state,
      health: c.health,
      restartCount: c.restartCount,
      message: evicted ?? failures.get(c.reservationId) ?? c.message,
      startedAtMs: c.startedAtMs,
      ports: c.ports,
      ...(mounts.has(c.reservationId) ? { mounts: mounts.get(c.reservationId) } : {}),
      ...(c.security ? { security: { ...c.security, ephemeralStorageUsedBytes: used ?? 0 } } : {}),
    };
  });
  const present = new Set(observed.map((c) => c.reservationId));
  for (const spec of desired) {
    const message = failures.get(spec.reservationId);
    if (message === undefined || present.has(spec.reservationId)) continue;
    containers.push({
      reservationId: spec.reservationId,
      generation: spec.generation,
      containerId: '',
      state: 'failed',
      health: 'none',
      restartCount: 0,
      message,
      startedAtMs: 0,
      ports: [],
      ...(mounts.has(spec.reservationId) ? { mounts: mounts.get(spec.reservationId) } : {}),
    });
  }
  containers.sort((a, b) => (a.reservationId < b.reservationId ? -1 : a.reservationId > b.reservationId ? 1 : 0));
  return { appliedVersion, containers };
}
