// Drives a reconcile pass: on a kick (coalesced), and at the next due time the pass reports.
// There is no fixed polling interval; a pass returns when it next needs to run by itself.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class ReconcileLoop {
  private running = false;
  private dirty = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<number | undefined>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void this.run();
  }

  /** Resolves after a pass that started after this call has finished. */
  async settle(): Promise<void> {
    const done = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.kick();
    if (this.running) this.dirty = true;
    await done;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    let due: number | undefined;
    do {
      this.dirty = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      try {
        due = await this.pass();
      } catch (err) {
        this.log.error({ err, loop: this.name }, 'reconcile pass failed');
        due = this.clock.now() + 1000; // retry soon; state is re-read from scratch
      }
      for (const w of waiters) w();
    } while (this.dirty && !this.stopped);
    this.running = false;
    this.arm(due);
  }

  private arm(due: number | undefined): void {
    clearTimeout(this.timer);
    if (due === undefined || this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, due - this.clock.now()));
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref?.();
  }
}
