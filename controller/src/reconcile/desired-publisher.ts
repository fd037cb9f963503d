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
  /** The store joins relations in one statement (PostgreSQL with relationJoins; not SQLite). */
  relationJoins?: boolean;
}

// Scheduled reservations with ports are prepared ahead of their window (see 'prepare').
const DESIRED = { OR: [{ phase: { in: [...STARTED_PHASES] } }, { phase: 'Scheduled', ports: { some: {} } }] };

export class DesiredPublisher {
  constructor(private readonly deps: DesiredPublisherDeps) {}

  async publish(nodeId: string): Promise<void> {
    if (!this.deps.isConnected(nodeId)) return; // a (re)connecting node is published on register
    const read = this.deps.relationJoins ? await this.readJoined(nodeId) : await this.readApart(nodeId);
    if (!read) return;
    const { node, rows, portsOf } = read;
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

  /** One statement: the node, its reservations and their ports. */
  private async readJoined(nodeId: string) {
    const node = await this.deps.db.node.findUnique({
      where: { id: nodeId },
      select: { address: true, reservations: { where: DESIRED, include: { ports: true } } },
    });
    if (!node) return undefined;
    return { node, rows: node.reservations, portsOf: new Map(node.reservations.map((r) => [r.id, r.ports])) };
  }

  /** Without joins: ports apart, and only when there is a reservation (an `include` would send its statement even for none). */
  private async readApart(nodeId: string) {
    const { db } = this.deps;
    const [node, rows] = await Promise.all([
      db.node.findUnique({ where: { id: nodeId }, select: { address: true } }),
      db.reservation.findMany({ where: { nodeId, ...DESIRED } }),
    ]);
    if (!node) return undefined;
    const ports = rows.length ? await db.portAllocation.findMany({ where: { reservationId: { in: rows.map((r) => r.id) } } }) : [];
    const portsOf = new Map<string, typeof ports>();
    for (const p of ports) {
      const list = portsOf.get(p.reservationId);
      if (list) list.push(p);
      else portsOf.set(p.reservationId, [p]);
    }
    return { node, rows, portsOf };
  }
}
