// A keyed work queue in the manner of controller-runtime: each key (a reservation or node id) is
// reconciled alone, never twice at once; a key added while it is being worked on runs once more
// afterwards; a failure is retried with per-key exponential backoff and never holds up another
// key; a TerminalError is recorded by the handler and not retried. Workers yield to the event
// loop between keys so that a long backlog cannot starve heartbeats and /healthz.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';

/** Thrown by a handler for a failure that retrying cannot fix (already recorded on the object). */
export class TerminalError extends Error {}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 60_000 };

/** What a handler may ask for: run this key again after a delay (its next due time). */
export type ReconcileResult = { requeueAfterMs?: number } | undefined | void;

export interface WorkQueueOptions {
  name: string;
  handler: (key: string) => Promise<ReconcileResult>;
  log: Logger;
  clock: Clock;
  concurrency?: number;
  backoff?: BackoffPolicy;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function backoffMs(failures: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly doneWaiters = new Map<string, Array<() => void>>();
  private idleWaiters: Array<() => void> = [];
  private workers = 0;
  private stopped = false;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly backoff: BackoffPolicy;
  /** Reconciles run and failures seen, for /metrics. */
  readonly stats = { processed: 0, failed: 0 };

  constructor(private readonly opts: WorkQueueOptions) {
    this.log = opts.log.child({ component: 'work-queue', queue: opts.name });
    this.concurrency = opts.concurrency ?? 4;
    this.backoff = opts.backoff ?? DEFAULT_QUEUE_BACKOFF;
  }

  get depth(): number {
    return this.ready.length;
  }

  /** Reconcile the key soon; duplicates collapse into one run. */
  add(key: string): void {
    if (this.stopped) return;
    this.clearDelay(key);
    if (this.active.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Reconcile the key after a delay; an earlier pending time wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.opts.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(
      () => {
        this.delayed.delete(key);
        this.add(key);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Reconciles the key now and resolves when that run has finished (successfully or not). */
  reconcileNow(key: string): Promise<void> {
    const done = new Promise<void>((resolve) => {
      const list = this.doneWaiters.get(key) ?? [];
      list.push(resolve);
      this.doneWaiters.set(key, list);
    });
    this.add(key);
    if (this.stopped) this.finishWaiters(key);
    return done;
  }

  /** Resolves once no key is queued or being worked on (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more work and waits for the keys in progress, at most `deadlineMs`. */
  async shutdown(deadlineMs: number): Promise<boolean> {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    this.queued.clear();
    for (const key of [...this.doneWaiters.keys()]) if (!this.active.has(key)) this.finishWaiters(key);
    if (this.active.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.idle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) this.log.warn({ inFlight: [...this.active] }, 'abandoning reconciles still in flight');
    return finished;
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.active.size === 0;
  }

  private pump(): void {
    while (this.workers < this.concurrency && this.ready.length > 0) {
      this.workers++;
      void this.work();
    }
  }

  private async work(): Promise<void> {
    try {
      while (!this.stopped && this.ready.length > 0) {
        const key = this.ready.shift()!;
        this.queued.delete(key);
        this.active.add(key);
        await this.runOne(key);
        this.active.delete(key);
        this.finishWaiters(key);
        if (this.again.delete(key)) this.add(key);
        // Let I/O callbacks (heartbeats, HTTP) run between keys even when every query resolved
        // synchronously (SQLite's driver is synchronous).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.workers--;
      if (this.isIdle() || this.stopped) this.releaseIdle();
    }
  }

  private async runOne(key: string): Promise<void> {
    this.stats.processed++;
    try {
      const result = await this.opts.handler(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined && !this.again.has(key)) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.stats.failed++;
      if (err instanceof TerminalError) {
        this.failures.delete(key);
        this.log.warn({ key, err: err.message }, 'reconcile failed for good');
        return;
      }
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delayMs = backoffMs(failures, this.backoff);
      this.log.warn({ key, failures, delayMs, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed, retrying');
      this.again.delete(key);
      this.addAfter(key, delayMs);
    }
  }

  private finishWaiters(key: string): void {
    const waiters = this.doneWaiters.get(key);
    if (!waiters) return;
    this.doneWaiters.delete(key);
    for (const w of waiters) w();
  }

  private releaseIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private clearDelay(key: string): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.delayed.delete(key);
  }
}
