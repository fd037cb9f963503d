// Watches this process's own event loop. Its delay is exported in /metrics; a gap much longer
// than the tick means the controller itself was stalled (SIGSTOP, swap, a long synchronous
// chain), so heartbeats it did not hear were not the nodes' fault: readiness decisions measure
// heartbeat age from the end of the last stall, as they do from the controller's start.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';

const TICK_MS = 250;
/** A gap this much longer than the tick counts as a stall of the controller. */
const STALL_MS = 2_000;

export class LoopMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private timer: NodeJS.Timeout | undefined;
  private lastTick: number;
  private resumed: number;
  private maxDelayMs = 0;
  stalls = 0;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.lastTick = clock.now();
    this.resumed = this.lastTick;
  }

  start(): void {
    this.histogram.enable();
    this.lastTick = this.clock.now();
    this.timer = setInterval(() => this.check(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  /**
   * When heartbeat ages may be counted from: the controller's start or the end of its last
   * stall. Checks for a stall first, so a caller running before the next tick still sees it.
   */
  resumedAt(): number {
    this.check();
    return this.resumed;
  }

  /** Event-loop delay in seconds since the last call (for /metrics), and the worst ever seen. */
  delays(): { p99: number; max: number; worstEver: number } {
    const h = this.histogram;
    const out = { p99: h.percentile(99) / 1e9, max: h.max / 1e9, worstEver: Math.max(this.maxDelayMs / 1000, h.max / 1e9) };
    this.maxDelayMs = Math.max(this.maxDelayMs, h.max / 1e6);
    h.reset();
    return out;
  }

  private check(): void {
    const now = this.clock.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap > TICK_MS + STALL_MS) {
      this.stalls++;
      this.resumed = now;
      this.log.warn({ stalledMs: gap }, 'controller was stalled; node heartbeat ages restart from now');
    }
  }
}
