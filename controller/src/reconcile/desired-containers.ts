// Pure: the container set that belongs on a node, from its active reservations.
import type { ContainerSpec } from '@berth/proto';
import { parseMemoryMiB, type ImageSpecInput, type ReservationSpecInput } from '../manifests/index.ts';
import type { PortAllocation } from '../store/generated/postgresql/client.ts';

/** Processes one container may hold, unless its image says otherwise (a fork bomb stops there). */
export const DEFAULT_PIDS_LIMIT = 512;
/** Disk one container may fill on its node (writable layer + local volume), unless its image says otherwise. */
export const DEFAULT_EPHEMERAL_STORAGE = '1Gi';

export interface ActiveReservation {
  id: string;
  /** The customer: their containers share a network on the node, and no one else's do. */
  ownerId: string;
  name: string;
  generation: number;
  milliCores: number;
  memoryMiB: number;
  startAt: Date;
  spec: ReservationSpecInput;
  /** The image as admitted (see admitted-image.ts): a later Image edit does not reach it. */
  image: ImageSpecInput | null;
  ports: PortAllocation[];
  /** Placement and the storage grant of a remote reservation (absent: not granted). */
  nodeId?: string | null;
  storageGrantNodeId?: string | null;
}

export function containerName(r: { name: string; id: string }): string {
  return `berth-${r.name}-${r.id.slice(0, 8)}`;
}

export function desiredContainers(reservations: ActiveReservation[], nodeAddress: string): ContainerSpec[] {
  const specs: ContainerSpec[] = [];
  for (const r of reservations) {
    const image = r.image;
    if (!image) continue; // only an old row whose image was gone before snapshots: nothing to run
    specs.push({
      reservationId: r.id,
      generation: r.generation,
      name: containerName(r),
      image: image.ref,
      cpus: r.milliCores / 1000, // for older agents; exact enough: they round cpus x 1e9
      milliCpus: r.milliCores,
      memoryBytes: r.memoryMiB * 1048576,
      ports: [...r.ports]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => ({ name: p.name, containerPort: p.containerPort, hostPort: p.nodePort, hostIp: nodeAddress })),
      env: { ...(image.env ?? {}), ...(r.spec.env ?? {}) },
      profile: r.spec.profile,
      dataPath: image.dataPath ?? '',
      ...(r.spec.profile === 'remote' ? { storageGranted: !!r.nodeId && r.storageGrantNodeId === r.nodeId } : {}),
      startAtMs: r.startAt.getTime(),
      tenant: r.ownerId,
      pidsLimit: image.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      ephemeralStorageBytes: parseMemoryMiB(image.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE)! * 1048576,
    });
  }
  return specs.sort((a, b) => a.reservationId.localeCompare(b.reservationId));
}
