// Port allocation with the used ports kept in memory (loaded once on start), so allocating for one
// reservation never scans every allocation in the cluster. The store's unique indexes (natPort;
// nodeId+nodePort) stay the final word: a losing insert (another controller got there first)
// reloads the picture and tries again.
import type { PrismaClient as Db, Store } from '../store/index.ts';
import { isUniqueViolation, updateRows } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { pickFreePort, type PortRange } from './pick-port.ts';
import { DEFAULT_PORT_RANGES, type ImagePort, type PortRanges } from './port-ranges.ts';

const MAX_ATTEMPTS = 20;

export class PortPool {
  private readonly nat = new Set<number>();
  private readonly byNode = new Map<string, Set<number>>();

  private readonly db: Db;

  constructor(
    private readonly store: Pick<Store, 'db' | 'provider'>,
    readonly ranges: PortRanges = DEFAULT_PORT_RANGES,
  ) {
    this.db = store.db;
  }

  get publicPoolSize(): number {
    return this.ranges.nat.max - this.ranges.nat.min + 1;
  }

  async load(): Promise<void> {
    const rows = await this.db.portAllocation.findMany({ select: { nodeId: true, nodePort: true, natPort: true } });
    this.nat.clear();
    this.byNode.clear();
    for (const r of rows) this.take(r.nodeId, r.nodePort, r.natPort);
  }

  /** A node port and a public port for every image port; idempotent per reservation. */
  async allocate(reservationId: string, nodeId: string, imagePorts: ImagePort[]) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = await this.db.portAllocation.findMany({ where: { reservationId } });
      const missing = imagePorts.filter((p) => !existing.some((e) => e.name === p.name));
      if (missing.length === 0) return existing;
      const rows = this.pick(reservationId, nodeId, missing);
      try {
        await this.db.$transaction(rows.map((data) => this.db.portAllocation.create({ data })));
        return [...existing, ...rows];
      } catch (err) {
        for (const r of rows) this.free(r.nodeId, r.nodePort, r.natPort);
        if (!isUniqueViolation(err)) throw err;
        await this.load(); // someone else holds ports we thought free
      }
    }
    throw new BerthError('Conflict', 'could not allocate ports: too much contention, try again');
  }

  /** Frees every port of the reservation; freeing twice is a no-op. */
  async release(reservationId: string): Promise<number> {
    const rows = await this.db.portAllocation.findMany({ where: { reservationId }, select: { nodeId: true, nodePort: true, natPort: true } });
    if (rows.length === 0) return 0;
    const { count } = await this.db.portAllocation.deleteMany({ where: { reservationId } });
    for (const r of rows) this.free(r.nodeId, r.nodePort, r.natPort);
    return count;
  }

  /**
   * Moves reservations' ports to other nodes (a lost node's reservations, together): each keeps
   * its public port and gets a new node port; one read and one write in all. Resolves to the
   * reservations that held ports (started or prepared ones).
   */
  async moveMany(moves: ReadonlyArray<{ reservationId: string; toNodeId: string }>): Promise<Set<string>> {
    if (moves.length === 0) return new Set();
    const target = new Map(moves.map((m) => [m.reservationId, m.toNodeId]));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const rows = (await this.db.portAllocation.findMany({ where: { reservationId: { in: [...target.keys()] } } })).filter(
        (r) => r.nodeId !== target.get(r.reservationId),
      );
      if (rows.length === 0) return new Set();
      const picked: Array<{ row: (typeof rows)[number]; toNodeId: string; nodePort: number }> = [];
      const undo = () => {
        for (const p of picked) this.nodePorts(p.toNodeId).delete(p.nodePort);
      };
      for (const row of rows) {
        const toNodeId = target.get(row.reservationId)!;
        const nodePort = pickFreePort(this.ranges.node, this.nodePorts(toNodeId), spin(this.ranges.node));
        if (nodePort === undefined) {
          undo();
          throw new BerthError('NoResources', `no free node port left for port "${row.name}"`);
        }
        this.nodePorts(toNodeId).add(nodePort);
        picked.push({ row, toNodeId, nodePort });
      }
      try {
        await updateRows(this.db, this.store.provider, {
          table: 'PortAllocation',
          columns: [
            { name: 'nodeId', type: 'text' },
            { name: 'nodePort', type: 'int' },
          ],
          rows: picked.map((p) => ({ id: p.row.id, values: [p.toNodeId, p.nodePort] })),
        });
        for (const { row } of picked) this.nodePorts(row.nodeId).delete(row.nodePort);
        return new Set(rows.map((r) => r.reservationId));
      } catch (err) {
        undo();
        if (!isUniqueViolation(err)) throw err;
        await this.load();
      }
    }
    throw new BerthError('Conflict', 'could not move ports: too much contention, try again');
  }

  private pick(reservationId: string, nodeId: string, missing: ImagePort[]) {
    const usedNode = this.nodePorts(nodeId);
    const rows: Array<{ reservationId: string; nodeId: string; name: string; containerPort: number; nodePort: number; natPort: number }> = [];
    for (const port of missing) {
      const nodePort = pickFreePort(this.ranges.node, usedNode, spin(this.ranges.node));
      const natPort = pickFreePort(this.ranges.nat, this.nat, spin(this.ranges.nat));
      if (nodePort === undefined || natPort === undefined) {
        for (const r of rows) this.free(r.nodeId, r.nodePort, r.natPort);
        throw new BerthError('NoResources', `no free ${nodePort === undefined ? 'node' : 'public'} port left for port "${port.name}"`);
      }
      this.take(nodeId, nodePort, natPort);
      rows.push({ reservationId, nodeId, name: port.name, containerPort: port.port, nodePort, natPort });
    }
    return rows;
  }

  private nodePorts(nodeId: string): Set<number> {
    let set = this.byNode.get(nodeId);
    if (!set) this.byNode.set(nodeId, (set = new Set()));
    return set;
  }

  private take(nodeId: string, nodePort: number, natPort: number): void {
    this.nodePorts(nodeId).add(nodePort);
    this.nat.add(natPort);
  }

  private free(nodeId: string, nodePort: number, natPort: number): void {
    this.byNode.get(nodeId)?.delete(nodePort);
    this.nat.delete(natPort);
  }
}

// Start from a random point so that a just-freed port is not handed out again at once and
// concurrent controllers rarely pick the same one.
function spin(r: PortRange): number {
  return r.min + Math.floor(Math.random() * (r.max - r.min + 1));
}
