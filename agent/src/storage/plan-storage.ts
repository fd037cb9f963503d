// Pure storage decisions: which volumes and mounts must exist before containers are created, and
// which may go once no container of their reservation is left. Converged input plans nothing.
import path from 'node:path';
import type { ContainerSpec, MountStatus } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import type { ContainerMount, StorageAction, StorageLayout, StorageObservation } from './storage-types.ts';

export const STORAGE_PROFILES = ['local', 'remote'] as const;

export function needsStorage(spec: ContainerSpec): boolean {
  return spec.profile === 'local' || spec.profile === 'remote';
}

export function volumeName(layout: StorageLayout, reservationId: string): string {
  return `berth-${layout.nodeName}-${reservationId}`;
}

/**
 * The container sees this subdirectory of the remote directory, not the mount point itself: it
 * exists only while the sshfs mount is there, so an engine that starts the container on its own
 * (a restart policy after a reboot) fails for a missing bind source instead of writing the
 * customer's data onto the compute node's disk under an empty mount point.
 */
export const REMOTE_DATA_DIR = 'data';

/** A remote reservation the controller has not had the storage node grant to this node yet. */
export const NOT_GRANTED = "this node's storage account has not been granted the reservation's directory yet";

export function mountPointOf(layout: StorageLayout, reservationId: string): string {
  return path.join(layout.mountRoot, reservationId);
}

/** Storage to create before any container of these specs is created or started. */
export function planStorageSetup(desired: ContainerSpec[], observed: StorageObservation, layout: StorageLayout): StorageAction[] {
  const volumes = new Set(observed.volumes.map((v) => v.name));
  const mounts = new Map(observed.mounts.map((m) => [m.mountPoint, m]));
  const actions: StorageAction[] = [];
  for (const spec of desired) {
    if (!needsStorage(spec)) continue;
    const reservationId = spec.reservationId;
    if (!spec.dataPath) {
      actions.push({ kind: 'reject', reservationId, message: `profile ${spec.profile} needs the image's dataPath, and the image declares none` });
    } else if (spec.profile === 'local' && !volumes.has(volumeName(layout, reservationId))) {
      actions.push({ kind: 'create-volume', reservationId, volume: volumeName(layout, reservationId) });
    } else if (spec.profile === 'remote') {
      const mountPoint = mountPointOf(layout, reservationId);
      const mount = mounts.get(mountPoint);
      if (!mount && spec.storageGranted === false) actions.push({ kind: 'reject', reservationId, message: NOT_GRANTED });
      else if (!mount) actions.push({ kind: 'mount-remote', reservationId, mountPoint });
      else if (mount.alive === false) actions.push({ kind: 'remount', reservationId, mountPoint });
    }
  }
  return actions;
}

/**
 * Storage whose reservation is no longer desired here with that profile and has no container
 * left on the node (a container still holding it is removed first, in an earlier step).
 */
export function planStorageRelease(
  desired: ContainerSpec[],
  observed: StorageObservation,
  containers: ObservedContainer[],
  layout: StorageLayout,
): StorageAction[] {
  const held = new Set(containers.map((c) => c.reservationId));
  const wants = (reservationId: string, profile: string) => desired.some((s) => s.reservationId === reservationId && s.profile === profile);
  const actions: StorageAction[] = [];
  for (const v of observed.volumes) {
    if (!wants(v.reservationId, 'local') && !held.has(v.reservationId)) actions.push({ kind: 'remove-volume', reservationId: v.reservationId, volume: v.name });
  }
  for (const m of observed.mounts) {
    if (!wants(m.reservationId, 'remote') && !held.has(m.reservationId))
      actions.push({ kind: 'unmount', reservationId: m.reservationId, mountPoint: m.mountPoint });
  }
  return actions;
}

/** Reservations whose storage is not in place: their containers must not be created or started. */
export function storageNotReady(desired: ContainerSpec[], observed: StorageObservation, layout: StorageLayout): Set<string> {
  return new Set(planStorageSetup(desired, observed, layout).map((a) => a.reservationId));
}

/** What the engine mounts into the reservation's container; empty for the ephemeral profile. */
export function containerMounts(spec: ContainerSpec, layout: StorageLayout): ContainerMount[] {
  if (!spec.dataPath) return [];
  if (spec.profile === 'local') return [{ type: 'volume', source: volumeName(layout, spec.reservationId), target: spec.dataPath }];
  if (spec.profile === 'remote') return [{ type: 'bind', source: `${mountPointOf(layout, spec.reservationId)}/${REMOTE_DATA_DIR}`, target: spec.dataPath }];
  return [];
}

/** The per-reservation storage status for the report; failures carry the last error. */
export function mountStatuses(
  desired: ContainerSpec[],
  observed: StorageObservation,
  failures: ReadonlyMap<string, string>,
  layout: StorageLayout,
  remoteSource: (reservationId: string) => string,
): Map<string, MountStatus[]> {
  const notReady = storageNotReady(desired, observed, layout);
  const statuses = new Map<string, MountStatus[]>();
  for (const spec of desired) {
    if (!needsStorage(spec)) continue;
    const id = spec.reservationId;
    const source = spec.profile === 'local' ? volumeName(layout, id) : remoteSource(id);
    const ready = !notReady.has(id);
    statuses.set(id, [
      {
        profile: spec.profile,
        source,
        target: spec.dataPath,
        state: ready ? 'ready' : 'failed',
        message: ready ? '' : (failures.get(id) ?? 'storage is not in place yet'),
      },
    ]);
  }
  return statuses;
}
