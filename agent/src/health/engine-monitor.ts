// Effects around engine-health.ts: pings the engine on its own interval, each ping bounded by a
// timeout, never two at once, and keeps the latest health for the heartbeat to send.
import type pino from 'pino';
import type { EngineStatus } from '@berth/proto';
import { withTimeout } from '../connection/with-timeout.ts';
import { engineTransition, INITIAL_ENGINE_HEALTH, nextEngineHealth, toEngineStatus, type CheckOutcome, type EngineHealth } from './engine-health.ts';

/** Port: one cheap round trip to the engine; rejects when it does not answer. */
export type EnginePing = (signal: AbortSignal) => Promise<unknown>;

export interface EngineMonitorOptions {
  ping: EnginePing;
  /** Pause between the end of one check and the start of the next (default 5000). */
  intervalMs?: number;
  /** A ping that has not answered by then counts as failed and is aborted (default 3000). */
  timeoutMs?: number;
  /** Failed checks in a row before the engine counts as unavailable (default 2). */
  failureThreshold?: number;
  now?: () => number;
  log?: pino.Logger;
  /** After a transition (lost or recovered). */
  onTransition?: (health: EngineHealth) => void;
}

export const DEFAULT_ENGINE_CHECK_INTERVAL_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_FAILURE_THRESHOLD = 2;

export class EngineMonitor {
  private health: EngineHealth = INITIAL_ENGINE_HEALTH;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<EngineHealth>;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly log?: pino.Logger;

  constructor(private readonly opts: EngineMonitorOptions) {
    this.log = opts.log?.child({ component: 'engine-health' });
  }

  start(): void {
    this.schedule();
  }

  /** Stops checking; a ping in flight is aborted. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  status(): EngineStatus {
    return toEngineStatus(this.health);
  }

  /** One bounded check; joins the one in flight rather than starting a second. */
  check(): Promise<EngineHealth> {
    this.checking ??= this.runCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Timed from the end of a check, so a slow engine spaces checks out instead of piling them up.
    this.timer = setTimeout(() => void this.check().then(() => this.schedule()), this.opts.intervalMs ?? DEFAULT_ENGINE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  private async runCheck(): Promise<EngineHealth> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const attempt = new AbortController();
    const onStop = () => attempt.abort();
    this.abort.signal.addEventListener('abort', onStop);
    let outcome: CheckOutcome;
    try {
      await withTimeout(this.opts.ping(attempt.signal), timeoutMs, 'the container engine ping');
      outcome = { ok: true };
    } catch (err) {
      attempt.abort(); // a ping that timed out must not linger on the socket
      outcome = { ok: false, message: err instanceof Error ? err.message : String(err) };
    } finally {
      this.abort.signal.removeEventListener('abort', onStop);
    }
    if (this.stopped) return this.health;
    return this.record(outcome);
  }

  private record(outcome: CheckOutcome): EngineHealth {
    const now = (this.opts.now ?? Date.now)();
    const prev = this.health;
    const next = nextEngineHealth(prev, outcome, now, this.opts.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
    this.health = next;
    const transition = engineTransition(prev, next);
    if (transition === 'lost') {
      this.log?.warn({ err: next.message, failures: next.failures, since: new Date(next.failingSinceMs).toISOString() }, 'container engine unavailable');
    } else if (transition === 'recovered') {
      this.log?.info({ downMs: now - prev.failingSinceMs }, 'container engine available again');
    } else if (!outcome.ok && next.available) {
      this.log?.debug({ err: next.message, failures: next.failures }, 'container engine check failed');
    }
    if (transition) this.opts.onTransition?.(next);
    return next;
  }
}
