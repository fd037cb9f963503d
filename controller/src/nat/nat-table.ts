// The desired public endpoints, kept in memory per reservation so that a change to one
// reservation does not re-read every allocation in the cluster. Syncs to the backend are
// coalesced: changes made while a sync runs go out together in the next one, and `flush()`
// resolves once a sync that includes every change made before the call has finished.
import type { Logger } from 'pino';
import type { NatBackend } from './nat-backend.ts';
import type { NatEndpoint } from './endpoint.ts';

const SYNC_SHARE = 4;
const MAX_SPACING_MS = 30_000;

export class NatTable {
  private readonly byReservation = new Map<string, NatEndpoint[]>();
  private version = 0;
  private synced = 0;
  private running: Promise<void> | undefined;
  private lastSyncEnd = 0;
  private spacingMs: number;
  /** Reservations changed since the last successful sync, with the version of their change. */
  private readonly changedAt = new Map<string, number>();

  /**
   * Syncs are spaced under a burst of changes so that more of them go out together: each sync is
   * a process that forks this controller and rewrites every endpoint's rules, which grows with
   * the cluster (bench:scale, 1,000 nodes on PostgreSQL: with a fixed 100 ms spacing the
   * controller managed 48.8 applies/s, with this one ~80). The spacing is minIntervalMs, or SYNC_SHARE times the
   * last sync's duration when that is longer, so syncing takes at most ~1/(SYNC_SHARE+1) of the time.
   */
  constructor(
    private readonly backend: Pick<NatBackend, 'sync'>,
    private readonly minIntervalMs = 100,
    /** Told once per failed sync (every waiter's flush() rejects with it too). */
    private readonly log?: Pick<Logger, 'warn'>,
  ) {
    this.spacingMs = minIntervalMs;
  }

  /** The current pause between two syncs under a burst (read by tests). */
  get spacing(): number {
    return this.spacingMs;
  }

  get size(): number {
    return this.byReservation.size;
  }

  /** Sets a reservation's endpoints (an empty list removes them); true when that changed anything. */
  set(reservationId: string, endpoints: NatEndpoint[]): boolean {
    const before = this.byReservation.get(reservationId);
    if (endpoints.length === 0) {
      if (!before) return false;
      this.byReservation.delete(reservationId);
    } else {
      if (before && JSON.stringify(before) === JSON.stringify(endpoints)) return false;
      this.byReservation.set(reservationId, endpoints);
    }
    this.version++;
    this.changedAt.set(reservationId, this.version);
    return true;
  }

  /** Whether the kernel holds the reservation's endpoints as last set. */
  isSynced(reservationId: string): boolean {
    return (this.changedAt.get(reservationId) ?? 0) <= this.synced;
  }

  /** Resolves after the backend holds every change made before this call. */
  async flush(): Promise<void> {
    const wanted = this.version;
    while (this.synced < wanted) {
      if (!this.running) {
        this.running = this.syncAfterPause().finally(() => {
          this.running = undefined;
          this.lastSyncEnd = Date.now();
        });
      }
      await this.running;
    }
  }

  private async syncAfterPause(): Promise<void> {
    const pause = this.lastSyncEnd + this.spacingMs - Date.now();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    // Taken after the pause: what changed during it goes out in this sync.
    const target = this.version;
    const started = Date.now();
    try {
      await this.backend.sync([...this.byReservation.values()].flat());
    } catch (err) {
      // A failing backend (iptables missing, locked) is retried at a doubling spacing, not hammered.
      this.spacingMs = Math.min(MAX_SPACING_MS, Math.max(1_000, 2 * this.spacingMs));
      this.log?.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: this.spacingMs }, 'nat sync failed');
      throw err;
    }
    this.spacingMs = Math.max(this.minIntervalMs, SYNC_SHARE * (Date.now() - started));
    this.synced = Math.max(this.synced, target);
    for (const [id, at] of this.changedAt) if (at <= target) this.changedAt.delete(id);
  }
}
