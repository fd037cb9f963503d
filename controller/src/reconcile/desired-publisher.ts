// Sends one node its full desired container set (reconciled per node key, enqueued when one of
// its reservations changed what should run there). Reads only that node's reservations.
import type { ContainerSpec } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import type { ReservationSpecInput } from '../manifests/index.ts';
import { admittedImage } from '../domain/admitted-image.ts';
import { STARTED_PHASES } from '../domain/phases.ts';
import { desiredContainers } from './desired-containers.ts';

export interface DesiredPublisherDeps {
  db: Db;
  isConnected: (nodeId: string) => boolean;
  /** Sends the set unless the session already has exactly this one. */
  push: (nodeId: string, containers: ContainerSpec[]) => void;
  /** A remote reservation here waits for its storage grant (the storage loop makes it). */
  onUngranted?: () => void;
}

export class DesiredPublisher {
  constructor(private readonly deps: DesiredPublisherDeps) {}

  async publish(nodeId: string): Promise<void> {
    const { db } = this.deps;
    if (!this.deps.isConnected(nodeId)) return; // a (re)connecting node is published on register
    const [node, rows] = await Promise.all([
      db.node.findUnique({ where: { id: nodeId }, select: { address: true } }),
      // Scheduled reservations with ports are prepared ahead of their window (see 'prepare').
      db.reservation.findMany({
        where: { nodeId, OR: [{ phase: { in: [...STARTED_PHASES] } }, { phase: 'Scheduled', ports: { some: {} } }] },
      }),
    ]);
    if (!node) return;
    // Ports apart, and only when there is a reservation: an `include` would send its statement
    // even for none (`IN (NULL)`), and every joining node is pushed an empty set once.
    const ports = rows.length ? await db.portAllocation.findMany({ where: { reservationId: { in: rows.map((r) => r.id) } } }) : [];
    const portsOf = new Map<string, typeof ports>();
    for (const p of ports) {
      const list = portsOf.get(p.reservationId);
      if (list) list.push(p);
      else portsOf.set(p.reservationId, [p]);
    }
    // Each reservation carries the image it was admitted with: the Image rows are not read.
    const mine = rows.map((r) => ({
      ...r,
      ports: portsOf.get(r.id) ?? [],
      spec: r.spec as ReservationSpecInput,
      image: admittedImage(r),
    }));
    const containers = desiredContainers(mine, node.address);
    if (containers.some((c) => c.profile === 'remote' && !c.storageGranted)) this.deps.onUngranted?.();
    this.deps.push(nodeId, containers);
  }
}
