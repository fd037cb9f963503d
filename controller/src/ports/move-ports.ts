// Moves a reservation's port allocations to another node. The public (NAT) port stays, so the
// customer's endpoint survives the move; only the node port is chosen again on the new node.
import type { PrismaClient as Db } from '../store/index.ts';
import { isUniqueViolation } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { pickFreePort } from './pick-port.ts';
import { DEFAULT_PORT_RANGES, type PortRanges } from './allocate-ports.ts';

const MAX_ATTEMPTS = 20;

export async function movePorts(db: Db, reservationId: string, toNodeId: string, ranges: PortRanges = DEFAULT_PORT_RANGES): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const rows = (await db.portAllocation.findMany({ where: { reservationId } })).filter((r) => r.nodeId !== toNodeId);
    if (rows.length === 0) return 0;
    const used = new Set((await db.portAllocation.findMany({ where: { nodeId: toNodeId }, select: { nodePort: true } })).map((p) => p.nodePort));
    const updates = [];
    for (const row of rows) {
      const nodePort = pickFreePort(ranges.node, used, ranges.node.min + Math.floor(Math.random() * (ranges.node.max - ranges.node.min + 1)));
      if (nodePort === undefined) throw new BerthError('NoResources', `no free node port left for port "${row.name}"`);
      used.add(nodePort);
      updates.push(db.portAllocation.update({ where: { id: row.id }, data: { nodeId: toNodeId, nodePort } }));
    }
    try {
      await db.$transaction(updates);
      return rows.length;
    } catch (err) {
      if (isUniqueViolation(err)) continue;
      throw err;
    }
  }
  throw new BerthError('Conflict', 'could not move ports: too much contention, try again');
}
