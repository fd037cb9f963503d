// The admission critical section: a lock (in-process, plus a PostgreSQL advisory lock when
// several controllers share the store), the in-memory capacity index it guards, and the port
// pool. Inside `run`, the index is known to match the store: it was loaded on start, this
// controller changes it in the same section as each store write, and a change of the store's
// admission sequence (another controller wrote) reloads it first.
import type { Logger } from 'pino';
import type { PrismaClient as Db, Store } from '../store/index.ts';
import type { Mutex } from '../lib/mutex.ts';
import type { LockHooks } from '../lib/advisory-mutex.ts';
import { admittedPortCount, TERMINAL_PHASES } from '../domain/index.ts';
import { PortPool, type PortRanges } from '../ports/index.ts';
import { CapacityIndex, nodeShapeOf, type Commitment } from './capacity-index.ts';

const STATE_ID = 1;

export class AdmissionGuard {
  readonly capacity: CapacityIndex;
  readonly ports: PortPool;
  private seq: number | undefined;
  /** Written since the sequence was last bumped: other controllers must reload before admitting. */
  private dirty = false;
  private readonly hooks: LockHooks = {
    // Alone on its store (SQLite), this controller's index can only change through itself.
    acquired: async () => {
      if (this.seq !== undefined && !this.shared) return;
      const seq = await this.storedSeq();
      if (seq !== this.seq) await this.reload(seq);
    },
    releasing: async () => {
      if (this.dirty) await this.bump();
    },
  };

  private readonly db: Db;
  /** The store's engine, for the few statements written per engine (store/update-rows.ts). */
  readonly provider: Store['provider'];

  constructor(
    store: Pick<Store, 'db' | 'provider'>,
    private readonly mutex: Mutex,
    private readonly log: Logger,
    portRanges: PortRanges,
    portLeadMs: number,
    /** Other controllers share the store (PostgreSQL): watch the admission sequence. */
    private readonly shared: boolean,
  ) {
    this.db = store.db;
    this.provider = store.provider;
    this.ports = new PortPool(store, portRanges);
    this.capacity = new CapacityIndex(this.ports.publicPoolSize, portLeadMs);
  }

  /** Runs fn alone (across controllers too) with the capacity index current. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn, this.hooks);
  }

  /** Records what a reservation now holds, after its store write, inside `run`. */
  commit(reservationId: string, c: Commitment): void {
    this.capacity.commit(reservationId, c);
    this.dirty = this.shared;
  }

  /** After moves recorded straight on the capacity index (evacuation), inside `run`. */
  commitMoves(): void {
    this.dirty = this.shared;
  }

  /** Freed capacity needs no lock: a stale entry can only refuse, never overbook. */
  release(reservationId: string): void {
    this.capacity.release(reservationId);
  }

  async close(): Promise<void> {
    await (this.mutex as { close?: () => Promise<void> }).close?.();
  }

  private async storedSeq(): Promise<number> {
    const row = await this.db.clusterState.findUnique({ where: { id: STATE_ID } });
    return row?.admissionSeq ?? 0;
  }

  private async bump(): Promise<void> {
    const row = await this.db.clusterState.upsert({
      where: { id: STATE_ID },
      create: { id: STATE_ID, admissionSeq: 1 },
      update: { admissionSeq: { increment: 1 } },
    });
    this.seq = row.admissionSeq;
    this.dirty = false;
  }

  /** Rebuilds the index and the port pool from the store. */
  private async reload(seq: number): Promise<void> {
    const started = Date.now();
    const [nodes, placed] = await Promise.all([
      this.db.node.findMany(),
      this.db.reservation.findMany({
        where: { phase: { notIn: [...TERMINAL_PHASES] }, nodeId: { not: null } },
        select: { id: true, nodeId: true, imageSpec: true, startAt: true, endAt: true, milliCores: true, memoryMiB: true },
      }),
    ]);
    for (const n of nodes) this.capacity.upsertNode(nodeShapeOf(n));
    for (const id of this.capacity.reservationIds()) this.capacity.release(id);
    for (const r of placed) {
      this.capacity.commit(r.id, {
        nodeId: r.nodeId!,
        start: r.startAt.getTime(),
        end: r.endAt.getTime(),
        milliCores: r.milliCores,
        memoryMiB: r.memoryMiB,
        publicPorts: admittedPortCount(r),
      });
    }
    await this.ports.load();
    this.seq = seq;
    this.log.info({ nodes: nodes.length, reservations: placed.length, ms: Date.now() - started }, 'capacity index loaded');
  }
}
