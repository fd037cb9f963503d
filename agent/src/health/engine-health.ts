// Pure: what the agent believes about its container engine, from the outcomes of its periodic
// pings. One failed ping is tolerated (a busy engine may miss one); an outage is declared after
// `failureThreshold` failures in a row, and is over at the first success (as Kubernetes probes:
// failureThreshold N, successThreshold 1). Declaring an outage makes the controller move the
// node's reservations, so it must not hang on a single slow answer.
import type { EngineStatus } from '@berth/proto';

export interface EngineHealth {
  available: boolean;
  /** The last failure's message; empty after a success. */
  message: string;
  /** Failed checks in a row. */
  failures: number;
  /** Epoch ms of the first failure of the current run of failures; 0 after a success. */
  failingSinceMs: number;
}

export type CheckOutcome = { ok: true } | { ok: false; message: string };

export type EngineTransition = 'lost' | 'recovered';

/** The agent starts only after a first engine check succeeded, so health starts available. */
export const INITIAL_ENGINE_HEALTH: EngineHealth = { available: true, message: '', failures: 0, failingSinceMs: 0 };

export function nextEngineHealth(prev: EngineHealth, outcome: CheckOutcome, now: number, failureThreshold: number): EngineHealth {
  if (outcome.ok) return INITIAL_ENGINE_HEALTH;
  const failures = prev.failures + 1;
  return {
    available: prev.available && failures < Math.max(1, failureThreshold),
    message: outcome.message,
    failures,
    failingSinceMs: prev.failures > 0 ? prev.failingSinceMs : now,
  };
}

export function engineTransition(prev: EngineHealth, next: EngineHealth): EngineTransition | undefined {
  if (prev.available && !next.available) return 'lost';
  if (!prev.available && next.available) return 'recovered';
  return undefined;
}

/** What a heartbeat carries. */
export function toEngineStatus(h: EngineHealth): EngineStatus {
  return h.available ? { available: true, message: '', unavailableSinceMs: 0 } : { available: false, message: h.message, unavailableSinceMs: h.failingSinceMs };
}
