// Deletes the storage-node directories of ended remote-profile reservations, once their
// containers are gone, and records it in the reservation's status so it happens exactly once.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import { TERMINAL_PHASES } from '../domain/index.ts';
import type { Clock } from '../lib/clock.ts';
import { recordEvent } from '../events/index.ts';
import { planRemoteReleases, type NodeView } from './plan-release.ts';
import type { StorageAdmin } from './storage-helper.ts';

const RETRY_MS = 10_000;

export interface StorageJanitorDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  admin: StorageAdmin;
  nodes: NodeView;
}

export class StorageJanitor {
  private readonly log: Logger;

  constructor(private readonly deps: StorageJanitorDeps) {
    this.log = deps.log.child({ component: 'storage-janitor' });
  }

  /** One pass; returns when to retry if something is still waiting or failed. */
  async pass(): Promise<number | undefined> {
    const { db, clock } = this.deps;
    const rows = await db.reservation.findMany({
      where: { phase: { in: [...TERMINAL_PHASES] } },
      select: { id: true, name: true, spec: true, status: true, nodeId: true },
    });
    const ended = rows.map((r) => {
      const status = (r.status ?? {}) as { storageReleasedAt?: string };
      return { id: r.id, profile: String((r.spec as { profile?: string })?.profile ?? ''), nodeId: r.nodeId, storageReleasedAt: status.storageReleasedAt };
    });
    const release = new Set(planRemoteReleases(ended, this.deps.nodes));
    const waiting = ended.some((r) => r.profile === 'remote' && !r.storageReleasedAt && !release.has(r.id));
    let failed = false;
    for (const row of rows.filter((r) => release.has(r.id))) {
      try {
        await this.deps.admin.run({ verb: 'release', reservationId: row.id });
      } catch (err) {
        failed = true;
        this.log.warn({ reservation: row.name, id: row.id, err: err instanceof Error ? err.message : String(err) }, 'remote storage release failed');
        continue;
      }
      const status = (row.status ?? {}) as Record<string, unknown>;
      await db.reservation.update({ where: { id: row.id }, data: { status: { ...status, storageReleasedAt: new Date(clock.now()).toISOString() } as never } });
      await recordEvent(db, {
        kind: 'Reservation',
        objectId: row.id,
        objectName: row.name,
        reason: 'StorageReleased',
        message: 'remote data deleted from the storage node',
      });
      this.log.info({ reservation: row.name, id: row.id }, 'remote storage released');
    }
    return failed || waiting ? clock.now() + RETRY_MS : undefined;
  }
}
