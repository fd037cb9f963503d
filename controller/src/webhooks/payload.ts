// The JSON body of a delivery. Pure. It names the reservation as its owner sees it (never the
// node), so a receiver learns nothing `berth get` would not show the same user.
import type { LifecycleEvent } from './lifecycle.ts';

export interface ReservationFacts {
  name: string;
  image: string;
  phase: string;
  startAt: Date;
  endAt: Date;
  /** "host:port" per image port, while running. */
  endpoints: string[];
}

export function deliveryBody(id: string, event: LifecycleEvent, r: ReservationFacts, now: number): string {
  return JSON.stringify({
    id,
    type: `reservation.${event}`,
    createdAt: new Date(now).toISOString(),
    data: {
      reservation: {
        name: r.name,
        image: r.image,
        phase: r.phase,
        start: r.startAt.toISOString(),
        end: r.endAt.toISOString(),
        endpoints: r.endpoints,
      },
      ...(event === 'ending' ? { endsInSeconds: Math.max(0, Math.round((r.endAt.getTime() - now) / 1000)) } : {}),
    },
  });
}

/** Endpoints of a running reservation from its port rows, as its status shows them. */
export function endpointsOf(phase: string, ports: ReadonlyArray<{ natPort: number }>, publicAddress: string): string[] {
  return phase === 'Running' ? ports.map((p) => `${publicAddress}:${p.natPort}`) : [];
}
