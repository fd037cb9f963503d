// Pure lifecycle decisions for one reservation: what should happen now, given what is stored and
// what the node's agent last reported. Converged input plans nothing.
import type { ContainerStatus } from '@berth/proto';
import { setCondition, type Condition, type ConditionInput } from '../domain/conditions.ts';
import { isTerminal, type Phase, type TerminalPhase } from '../domain/phases.ts';

export interface ReservationState {
  id: string;
  phase: Phase;
  generation: number;
  startAt: number;
  endAt: number;
  deletedAt: number | null;
  startedAt: number | null;
  conditions: Condition[];
  /** Ports are allocated, so the node can prepare the container before the window opens. */
  prepared: boolean;
}

/** How long before its window a reservation's container is created (pulled, prepared) on its node. */
export const DEFAULT_PREPARE_LEAD_MS = 30_000;

export interface Observation {
  /** Latest container status the node reported for this reservation, if any. */
  container?: ContainerStatus;
}

export type ReservationAction =
  | { type: 'prepare' } // allocate ports: the node creates the container, starts it at startAt
  | { type: 'start' } // the window opened (ports allocated if not yet): phase Starting
  | { type: 'update'; phase: Phase; conditions: Condition[]; startedAt?: number; event?: { reason: string; message: string; warning?: boolean } }
  | { type: 'end'; phase: TerminalPhase; at: number; reason: string; message: string };

/**
 * How long an image pull may keep failing before the reservation is Failed and its capacity
 * released (Kubernetes keeps a pod in ImagePullBackOff for ever; a reservation's window is
 * paid-for capacity that another customer could use).
 */
export const DEFAULT_PULL_FAILURE_TIMEOUT_MS = 5 * 60_000;

/** Container failures no restart can fix: the reservation ends Failed at once. */
const TERMINAL_REASONS = new Set(['EphemeralStorageExceeded']); // see EPHEMERAL_STORAGE_EXCEEDED

export interface PlanOptions {
  leadMs?: number;
  pullFailureTimeoutMs?: number;
}

export function planReservation(r: ReservationState, observed: Observation, now: number, opts: PlanOptions | number = {}): ReservationAction[] {
  const { leadMs = DEFAULT_PREPARE_LEAD_MS, pullFailureTimeoutMs = DEFAULT_PULL_FAILURE_TIMEOUT_MS } = typeof opts === 'number' ? { leadMs: opts } : opts;
  if (isTerminal(r.phase)) return [];
  if (r.deletedAt !== null) return [{ type: 'end', phase: 'Deleted', at: r.deletedAt, reason: 'Deleted', message: 'deleted by request' }];
  if (now >= r.endAt) return [{ type: 'end', phase: 'Expired', at: r.endAt, reason: 'Expired', message: 'reservation window ended' }];
  if (r.phase === 'Pending' || r.phase === 'Scheduled') {
    if (now >= r.startAt) return [{ type: 'start' }];
    return !r.prepared && now >= r.startAt - leadMs ? [{ type: 'prepare' }] : [];
  }
  return planRunning(r, observed.container, now, pullFailureTimeoutMs);
}

function planRunning(r: ReservationState, c: ContainerStatus | undefined, now: number, pullFailureTimeoutMs: number): ReservationAction[] {
  const current = c && c.generation === r.generation ? c : undefined;
  let ready: ConditionInput;
  const storage = current?.mounts?.find((m) => m.state === 'failed');
  if (storage) {
    // The agent never starts a container without its storage: say why it waits.
    ready = { type: 'Ready', status: 'False', reason: 'StorageUnavailable', message: storage.message || `${storage.profile} storage is not available` };
  } else if (current?.state === 'running' && current.health !== 'unhealthy') {
    ready = { type: 'Ready', status: 'True', reason: 'ContainerRunning', message: 'container is running' };
  } else if (current?.message) {
    ready = { type: 'Ready', status: 'False', reason: failureReason(current), message: current.message };
  } else if (current) {
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'ContainerNotRunning',
      message: `container is ${current.health === 'unhealthy' ? 'unhealthy' : current.state}`,
    };
  } else {
    ready = { type: 'Ready', status: 'False', reason: 'ContainerCreating', message: 'waiting for the node to start the container' };
  }
  const conditions = setCondition(r.conditions, ready, now);
  if (TERMINAL_REASONS.has(ready.reason)) return [{ type: 'end', phase: 'Failed', at: now, reason: ready.reason, message: ready.message }];
  const pullFailingSince = pullFailureStart(conditions);
  if (pullFailingSince !== undefined && now - pullFailingSince >= pullFailureTimeoutMs) {
    const minutes = Math.round(pullFailureTimeoutMs / 60_000);
    return [
      {
        type: 'end',
        phase: 'Failed',
        at: now,
        reason: 'ImagePullFailed',
        message: `image pull kept failing for ${minutes >= 1 ? `${minutes} min` : `${Math.round(pullFailureTimeoutMs / 1000)} s`}; capacity released: ${ready.message}`,
      },
    ];
  }
  const running = ready.status === 'True';
  // Once running, a reservation stays in phase Running (as a Kubernetes pod does) and readiness
  // tells whether the container is up right now.
  const phase: Phase = running || r.phase === 'Running' ? 'Running' : 'Starting';
  const startedAt = running && r.startedAt === null ? current!.startedAtMs || now : undefined;
  if (conditions === r.conditions && phase === r.phase && startedAt === undefined) return [];
  const event =
    phase !== r.phase
      ? { reason: 'Started', message: 'container is running' }
      : conditions !== r.conditions && ready.status === 'False'
        ? { reason: ready.reason, message: ready.message, warning: true }
        : undefined;
  return [{ type: 'update', phase, conditions, ...(startedAt !== undefined ? { startedAt } : {}), ...(event ? { event } : {}) }];
}

/** The agent stopped the container for filling its node's disk past the image's limit. */
export const EPHEMERAL_STORAGE_EXCEEDED = 'EphemeralStorageExceeded';

function failureReason(c: ContainerStatus): string {
  for (const reason of TERMINAL_REASONS) if (c.message.startsWith(`${reason}:`)) return reason;
  if (c.state === 'pulling' || /pull/i.test(c.message)) return 'ImagePullFailed';
  return 'ContainerFailed';
}

/**
 * Since when a pull has been failing: the Ready condition's lastTransitionTime, i.e. since the
 * reservation stopped being ready (for a new container, since it was asked for), which is when
 * its pull attempts began.
 */
function pullFailureStart(conditions: Condition[]): number | undefined {
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status !== 'False' || ready.reason !== 'ImagePullFailed') return undefined;
  return Date.parse(ready.lastTransitionTime);
}

/** When a pull-failing reservation is due to be failed for good. */
export function pullFailureDue(conditions: Condition[], pullFailureTimeoutMs = DEFAULT_PULL_FAILURE_TIMEOUT_MS): number | undefined {
  const since = pullFailureStart(conditions);
  return since === undefined ? undefined : since + pullFailureTimeoutMs;
}

/** When this reservation next needs attention without any outside event, or undefined. */
export function nextDue(r: Pick<ReservationState, 'phase' | 'startAt' | 'endAt' | 'prepared'>, leadMs = DEFAULT_PREPARE_LEAD_MS): number | undefined {
  if (isTerminal(r.phase)) return undefined;
  if (r.phase === 'Pending' || r.phase === 'Scheduled') return r.prepared ? r.startAt : r.startAt - leadMs;
  return r.endAt;
}
