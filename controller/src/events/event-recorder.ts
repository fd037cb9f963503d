// Events written in batches: reconcilers record many per second under load, and one insert per
// event (each its own transaction) was a large share of the store's time. Readers flush first,
// so a listing always shows what was recorded before it.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { EventInput } from './record-event.ts';

const FLUSH_MS = 50;
const MAX_BATCH = 500;

export class EventRecorder {
  private buffer: EventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly subscribers: Array<(e: EventInput) => void> = [];

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Calls `fn` with every event recorded from now on (synchronously: keep it cheap). */
  subscribe(fn: (e: EventInput) => void): void {
    this.subscribers.push(fn);
  }

  record(e: EventInput): void {
    for (const fn of this.subscribers) {
      try {
        fn(e);
      } catch (err) {
        this.log.warn({ err, reason: e.reason }, 'event subscriber failed');
      }
    }
    this.buffer.push(e);
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes everything recorded so far; resolves when it is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.db.event.createMany({ data: batch.map((e) => ({ type: e.type ?? 'Normal', ...e })) });
      } catch (err) {
        this.log.warn({ err, events: batch.length }, 'events not recorded');
      }
    });
    return this.writing;
  }
}
