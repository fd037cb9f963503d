// The desired public endpoints, kept in memory per reservation so that a change to one
// reservation does not re-read every allocation in the cluster. Syncs to the backend are
// coalesced: changes made while a sync runs go out together in the next one, and `flush()`
// resolves once a sync that includes every change made before the call has finished.
import type { NatBackend } from './nat-backend.ts';
import type { NatEndpoint } from './endpoint.ts';

export class NatTable {
  private readonly byReservation = new Map<string, NatEndpoint[]>();
  private version = 0;
  private synced = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly backend: Pick<NatBackend, 'sync'>) {}

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
    return true;
  }

  /** Resolves after the backend holds every change made before this call. */
  async flush(): Promise<void> {
    const wanted = this.version;
    while (this.synced < wanted) {
      if (!this.running) {
        const target = this.version;
        const all = [...this.byReservation.values()].flat();
        this.running = this.backend.sync(all).then(
          () => { this.synced = Math.max(this.synced, target); },
        ).finally(() => { this.running = undefined; });
      }
      await this.running;
    }
  }
}
