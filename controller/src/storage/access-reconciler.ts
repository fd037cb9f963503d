// Applies the storage access plan through the storage node's helper and records each step, so a
// key is installed and a directory granted once per change, and a restarted controller picks up
// exactly what is left (the helper's requests are idempotent if a step ran but was not recorded).
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import { TERMINAL_PHASES } from '../domain/index.ts';
import type { Clock } from '../lib/clock.ts';
import { recordEvent } from '../events/index.ts';
import { planStorageAccess, type AccessAction, type ReservationAccess } from './plan-access.ts';
import type { StorageAdmin } from './storage-helper.ts';

const RETRY_MS = 10_000;

export interface AccessReconcilerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  admin: StorageAdmin;
  /** A grant changed what the node may mount: send it its desired set again. */
  onGranted: (nodeId: string) => void;
}

export class AccessReconciler {
  private readonly log: Logger;

  constructor(private readonly deps: AccessReconcilerDeps) {
    this.log = deps.log.child({ component: 'storage-access' });
  }

  /** One pass; returns when to retry if a step failed. Reads only what differs from the plan's goal. */
  async pass(): Promise<number | undefined> {
    const { reservations, nodes } = await this.load();
    const failedNodes = new Set<string>();
    let failed = false;
    for (const action of planStorageAccess(nodes, reservations)) {
      if (action.kind === 'grant' && failedNodes.has(action.nodeId)) continue;
      try {
        await this.apply(action);
      } catch (err) {
        failed = true;
        if (action.kind === 'add-node') failedNodes.add(action.nodeId);
        this.log.warn({ ...fieldsOf(action), err: err instanceof Error ? err.message : String(err) }, 'storage access change failed');
      }
    }
    return failed ? this.deps.clock.now() + RETRY_MS : undefined;
  }

  private async load() {
    const { db } = this.deps;
    const pending = await db.reservation.findMany({
      where: {
        phase: { notIn: [...TERMINAL_PHASES] },
        OR: [
          { nodeId: { not: null }, storageGrantNodeId: null },
          { nodeId: null, storageGrantNodeId: { not: null } },
          { NOT: { nodeId: { equals: db.reservation.fields.storageGrantNodeId } } },
        ],
      },
      select: { id: true, spec: true, nodeId: true, storageGrantNodeId: true },
    });
    const reservations: ReservationAccess[] = pending
      .map((r) => ({ id: r.id, profile: String((r.spec as { profile?: string })?.profile ?? ''), nodeId: r.nodeId, storageGrantNodeId: r.storageGrantNodeId }))
      .filter((r) => r.profile === 'remote');
    const targets = [...new Set(reservations.map((r) => r.nodeId).filter((id): id is string => !!id))];
    const nodes = await db.node.findMany({
      where: {
        OR: [
          { id: { in: targets } },
          { storagePublicKey: { not: null }, storageKeyInstalled: null },
          { NOT: { storagePublicKey: { equals: db.node.fields.storageKeyInstalled } } },
        ],
      },
      select: { id: true, name: true, storagePublicKey: true, storageKeyInstalled: true },
    });
    return { reservations, nodes };
  }

  private async apply(a: AccessAction): Promise<void> {
    const { db, admin } = this.deps;
    switch (a.kind) {
      case 'add-node':
        await admin.run({ verb: 'add-node', account: a.account, publicKey: a.publicKey });
        // Only if the agent has not sent yet another key meanwhile (then that one is next).
        await db.node.updateMany({ where: { id: a.nodeId, storagePublicKey: a.publicKey }, data: { storageKeyInstalled: a.publicKey } });
        this.log.info({ node: a.nodeId, account: a.account }, 'storage node key installed');
        return;
      case 'grant': {
        await admin.run({ verb: 'grant', reservationId: a.reservationId, account: a.account });
        const { count } = await db.reservation.updateMany({ where: { id: a.reservationId, nodeId: a.nodeId }, data: { storageGrantNodeId: a.nodeId } });
        if (count === 0) return; // moved again meanwhile: the next pass grants the new node
        const r = await db.reservation.findUnique({ where: { id: a.reservationId }, select: { name: true } });
        await recordEvent(db, {
          kind: 'Reservation',
          objectId: a.reservationId,
          objectName: r?.name ?? a.reservationId,
          reason: 'StorageGranted',
          message: `remote data reachable from storage account ${a.account} only`,
        });
        this.log.info({ reservation: a.reservationId, node: a.nodeId, account: a.account }, 'remote storage granted');
        this.deps.onGranted(a.nodeId);
        return;
      }
      case 'revoke':
        await admin.run({ verb: 'revoke', reservationId: a.reservationId });
        await db.reservation.updateMany({ where: { id: a.reservationId, nodeId: null }, data: { storageGrantNodeId: null } });
        this.log.info({ reservation: a.reservationId }, 'remote storage revoked');
    }
  }
}

function fieldsOf(a: AccessAction): Record<string, string> {
  return a.kind === 'add-node' ? { action: a.kind, node: a.nodeId, account: a.account } : { action: a.kind, reservation: a.reservationId };
}
