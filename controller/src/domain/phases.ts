// A reservation's phases: the one list every layer uses (Pending → Scheduled → Starting →
// Running → Expired | Deleted | Failed).

export const PHASES = ['Pending', 'Scheduled', 'Starting', 'Running', 'Expired', 'Deleted', 'Failed'] as const;
export const TERMINAL_PHASES = ['Expired', 'Deleted', 'Failed'] as const;
export type TerminalPhase = (typeof TERMINAL_PHASES)[number];
export type Phase = (typeof PHASES)[number];

/** Admitted but the window has not opened: the container was never started. */
export const NOT_STARTED_PHASES = ['Pending', 'Scheduled'] as const;
/** The window opened and has not ended: the container is (being) started and counts as in use. */
export const STARTED_PHASES = ['Starting', 'Running'] as const;
/** Placed on a node and not ended: the node holds (or is about to hold) its container. */
export const PLACED_PHASES = ['Scheduled', 'Starting', 'Running'] as const;

/**
 * Endpoints are published (listed in status and given NAT rules) only while the reservation is
 * Running. Before that the ports are reserved but nothing answers: a client that connected early
 * would reach the engine's port proxy mid-start, which holds the connection and delays the
 * container by ~0.6 s (measured; see test/bench/apply-to-connect.bench.ts). So an address that
 * is shown accepts connections, and one that is not yet shown refuses them at once.
 */
export const PUBLISHED_PHASE = 'Running';

export function isTerminal(phase: string): boolean {
  return (TERMINAL_PHASES as readonly string[]).includes(phase);
}

export function isStarted(phase: string): boolean {
  return (STARTED_PHASES as readonly string[]).includes(phase);
}

export function hasStarted(phase: string): boolean {
  return !(NOT_STARTED_PHASES as readonly string[]).includes(phase);
}
