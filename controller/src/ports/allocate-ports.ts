// Port allocation in the database. Unique indexes (natPort; nodeId+nodePort) settle races
// between concurrent allocators: the loser's insert fails and it retries with fresh state.
import type { PrismaClient as Db } from '../store/index.ts';
import { isUniqueViolation } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { DEFAULT_NAT_PORTS, DEFAULT_NODE_PORTS, pickFreePort, type PortRange } from './pick-port.ts';

export interface PortRanges {
  node: PortRange;
  nat: PortRange;
}
export const DEFAULT_PORT_RANGES: PortRanges = { node: DEFAULT_NODE_PORTS, nat: DEFAULT_NAT_PORTS };

export interface ImagePort {
  name: string;
  port: number;
}

const MAX_ATTEMPTS = 20;

/** Allocates a node port and a NAT port for every image port; idempotent per reservation. */
export async function allocatePorts(db: Db, reservationId: string, nodeId: string, imagePorts: ImagePort[], ranges: PortRanges = DEFAULT_PORT_RANGES) {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await db.portAllocation.findMany({ where: { reservationId } });
    const missing = imagePorts.filter((p) => !existing.some((e) => e.name === p.name));
    if (missing.length === 0) return existing;
    const [nodeUsed, natUsed] = await Promise.all([
      db.portAllocation.findMany({ where: { nodeId }, select: { nodePort: true } }),
      db.portAllocation.findMany({ select: { natPort: true } }),
    ]);
    const usedNode = new Set(nodeUsed.map((p) => p.nodePort));
    const usedNat = new Set(natUsed.map((p) => p.natPort));
    // Start from a random point so concurrent allocators rarely pick the same port.
    const spin = (r: PortRange) => r.min + Math.floor(Math.random() * (r.max - r.min + 1));
    const rows = [];
    for (const port of missing) {
      const nodePort = pickFreePort(ranges.node, usedNode, spin(ranges.node));
      const natPort = pickFreePort(ranges.nat, usedNat, spin(ranges.nat));
      if (nodePort === undefined || natPort === undefined) {
        throw new BerthError('NoResources', `no free ${nodePort === undefined ? 'node' : 'public'} port left for port "${port.name}"`);
      }
      usedNode.add(nodePort);
      usedNat.add(natPort);
      rows.push({ reservationId, nodeId, name: port.name, containerPort: port.port, nodePort, natPort });
    }
    try {
      await db.$transaction(rows.map((data) => db.portAllocation.create({ data })));
    } catch (err) {
      if (isUniqueViolation(err)) continue;
      throw err;
    }
  }
  throw new BerthError('Conflict', 'could not allocate ports: too much contention, try again');
}

/** Frees every port of the reservation; freeing twice is a no-op. */
export async function releasePorts(db: Db, reservationId: string): Promise<number> {
  const { count } = await db.portAllocation.deleteMany({ where: { reservationId } });
  return count;
}
