import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import type { PrismaClient as Db, User } from '../store/generated/postgresql/client.ts';
import type { Clock } from '../server/clock.ts';
import type { Mutex } from '../server/mutex.ts';
import type { ControllerConfig } from '../server/config.ts';
import { BerthError } from '../errors/index.ts';
import type { Monitoring } from '../monitoring/monitoring.ts';

export interface ServiceContext {
  db: Db;
  log: Logger;
  clock: Clock;
  config: ControllerConfig;
  admission: Mutex;
  /** Wakes the reconcilers; they re-read state, so a spurious kick is harmless. */
  kick(): void;
  /** Runs a reservation pass now and waits for it (delete answers after the effect). */
  settle(): Promise<void>;
  /** Change bus, logs and agent observations (absent in bare API tests). */
  monitoring?: Monitoring;
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
