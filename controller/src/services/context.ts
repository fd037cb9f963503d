import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import type { PrismaClient as Db, User } from '../store/generated/postgresql/client.ts';
import type { Clock } from '../lib/clock.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { EventRecorder } from '../events/index.ts';
import type { ImageCache } from './image-cache.ts';
import type { CreateQueue } from './create-group.ts';
import type { PrincipalCache } from '../auth/index.ts';
import type { ControllerConfig } from '../settings/config.ts';
import { BerthError } from '../errors/index.ts';
import type { Monitoring } from '../monitoring/monitoring.ts';
import type { ExecBroker } from '../exec/index.ts';

export interface ServiceContext {
  db: Db;
  log: Logger;
  clock: Clock;
  config: ControllerConfig;
  /** The admission critical section and the capacity index it guards. */
  admission: AdmissionGuard;
  /** New reservations waiting to be admitted together in the next admission section. */
  creates: CreateQueue;
  /** Enqueues objects for their reconcilers; they re-read state, so a spurious one is harmless. */
  reconcile: Reconcile;
  /** Batched event writes (reconcilers); listings flush it first. */
  events: EventRecorder;
  /** Images by name for admission, cached for a second; forget() after a change. */
  images: ImageCache;
  /** Bearer token -> user, answered only while the store reports changes (PostgreSQL); absent: every request asks the store. */
  principals?: PrincipalCache;
  /** Waits until every queued reconcile has run (tests, dev start-up, drain). */
  settle(): Promise<void>;
  /** Change bus, logs and agent observations (optional: a context built without them still serves the API). */
  monitoring?: Monitoring;
  /** SHA-256 of the agent-stream certificate: the `K10<fingerprint>::` part of join tokens. */
  agentCertFingerprint?: string;
  /** Relays `berth exec` to agents (optional: a context built without it answers exec with 503). */
  exec?: ExecBroker;
  /** The agent side of the controller (optional: a context built without it cannot revoke nodes). */
  agents?: { revokeNode(name: string): Promise<string> };
  /** The webhook address policy and the notifier (optional: without it, the strictest policy and nothing to tell). */
  notifications?: { judge(): Promise<(ip: string) => string | undefined>; webhooksChanged(): void };
}

export interface Reconcile {
  reservation(id: string): void;
  /** Reconciles the reservation when it is next due (a new admission has nothing to do before). */
  reservationAt(id: string, at: number): void;
  /** Reconciles the reservation now and waits for it (delete answers after the effect). */
  reservationNow(id: string): Promise<void>;
  node(id: string): void;
  /** Sends the node its desired set again (its reservations moved). */
  push(nodeId: string): void;
}

export interface ApplyResult {
  action: 'created' | 'configured' | 'unchanged';
  object: unknown;
}

export function requireAdmin(user: User, what: string): void {
  if (user.role !== 'admin') throw new BerthError('Forbidden', `only admins can change ${what}`);
}

export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}
