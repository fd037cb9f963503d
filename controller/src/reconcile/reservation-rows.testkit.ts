// A reservation row as admission leaves it, written straight to the store: for tests of what
// the reconcilers read back (one hour from the epoch, image "web", 64 MiB).
import type { PrismaClient as Db } from '../store/index.ts';

export interface ReservationRowInput {
  name: string;
  ownerId: string;
  nodeId: string;
  phase: string;
  /** The image as admitted (the snapshot the node is sent). */
  imageSpec: object;
  milliCores?: number;
}

export function createReservationRow(db: Db, r: ReservationRowInput) {
  return db.reservation.create({
    data: {
      name: r.name,
      activeName: r.name,
      ownerId: r.ownerId,
      spec: { image: 'web', duration: '1h', profile: 'ephemeral' },
      imageName: 'web',
      imageSpec: r.imageSpec,
      imageGeneration: 1,
      milliCores: r.milliCores ?? 1000,
      memoryMiB: 64,
      startAt: new Date(0),
      endAt: new Date(3_600_000),
      nodeId: r.nodeId,
      phase: r.phase,
    },
  });
}
