// Turns recorded reservation events into outbox rows for the owner's webhooks (subscribed to the
// event recorder: the reconcilers are not touched), and watches for reservations about to end
// ("ending", each webhook's own notice) by their end times. Writing a row is the commitment:
// the dispatcher delivers it, across restarts. Deliveries of once-only events are deduplicated
// by a unique key, so a second controller or a repeated event cannot send one twice.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isUniqueViolation, type PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import { STARTED_PHASES } from '../domain/phases.ts';
import { dedupeKey, lifecycleOf, type LifecycleEvent, type RecordedEvent } from './lifecycle.ts';
import { deliveryBody, endpointsOf } from './payload.ts';

export interface NotifierDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  publicAddress: string;
  wake: (webhookId: string) => void;
}

interface Hook {
  id: string;
  userId: string;
  events: unknown;
  endingBeforeMs: number;
}

const include = { ports: { select: { natPort: true } } } as const;
/** How far ahead the ending watch looks, at most: between two looks, new ends are learnt from events. */
const SWEEP_MAX_MS = 60_000;
/** How long "are there any webhooks at all" is trusted, so a cluster without any pays nothing per event. */
const ANY_TTL_MS = 10_000;
/** Admissions and starts ask for a look; a burst of them gets one look a second, not one each. */
const SWEEP_MIN_GAP_MS = 1_000;

export class WebhookNotifier {
  private chain: Promise<void> = Promise.resolve();
  private sweepTimer: NodeJS.Timeout | undefined;
  private anyUntil = 0;
  private any = false;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** "ending" keys queued by this process: the watch looks again until the end, without re-inserting. */
  private readonly endingQueued = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly deps: NotifierDeps) {
    this.log = deps.log.child({ component: 'webhook-notifier' });
  }

  /** The event recorder's subscriber: cheap and synchronous; the work is queued in order. */
  readonly onEvent = (e: RecordedEvent & { objectId: string }): void => {
    const event = lifecycleOf(e);
    if (!event || this.stopped) return;
    this.chain = this.chain
      .then(() => this.handle(event, e.objectId))
      .catch((err) => this.log.warn({ err, reservation: e.objectId, event }, 'webhook event not queued'));
    if (event === 'started' || event === 'admitted') this.kickSweep();
  };

  /** A webhook was added or removed here. */
  webhooksChanged(): void {
    this.anyUntil = 0;
    this.kickSweep();
  }

  start(): void {
    this.kickSweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    await this.chain;
  }

  /** Waits until every event recorded so far is in the outbox (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async anyWebhooks(): Promise<boolean> {
    const now = this.deps.clock.now();
    if (now >= this.anyUntil) {
      this.any = (await this.deps.db.webhook.count()) > 0;
      this.anyUntil = now + ANY_TTL_MS;
    }
    return this.any;
  }

  private async handle(event: LifecycleEvent, reservationId: string): Promise<void> {
    if (!(await this.anyWebhooks())) return;
    const row = await this.deps.db.reservation.findUnique({ where: { id: reservationId }, include });
    if (!row) return;
    if (event === 'failed' && row.phase !== 'Failed') return; // a warning on a reservation that may still start
    const hooks = (await this.deps.db.webhook.findMany({ where: { userId: row.ownerId } })).filter((h) => subscribed(h, event));
    // "moved" may happen more than once; every other event once per reservation.
    const discriminator = event === 'moved' ? `${row.nodeId}@${this.deps.clock.now()}` : undefined;
    for (const hook of hooks) await this.enqueue(hook, row, event, discriminator);
  }

  private async enqueue(hook: Hook, row: ReservationRow, event: LifecycleEvent, discriminator?: string | number): Promise<boolean> {
    const id = randomUUID();
    const now = this.deps.clock.now();
    const body = deliveryBody(
      id,
      event,
      {
        name: row.name,
        image: row.imageName,
        phase: row.phase,
        startAt: row.startAt,
        endAt: row.endAt,
        endpoints: endpointsOf(row.phase, row.ports, this.deps.publicAddress),
      },
      now,
    );
    try {
      await this.deps.db.webhookDelivery.create({
        data: {
          id,
          webhookId: hook.id,
          userId: hook.userId,
          reservationId: row.id,
          event,
          dedupeKey: dedupeKey(hook.id, row.id, event, discriminator),
          body,
          nextAttemptAt: new Date(now),
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) return false; // already queued (another controller, or a repeat)
      throw err;
    }
    this.deps.wake(hook.id);
    return true;
  }

  private kickSweep(): void {
    if (this.stopped) return;
    clearTimeout(this.sweepTimer);
    const wait = Math.max(0, this.lastSweepAt + SWEEP_MIN_GAP_MS - this.deps.clock.now());
    this.sweepTimer = setTimeout(() => {
      this.lastSweepAt = this.deps.clock.now();
      this.chain = this.chain
        .then(() => this.sweep())
        .then((wait) => this.scheduleSweep(wait))
        .catch((err) => {
          this.log.warn({ err }, 'ending-soon watch failed');
          this.scheduleSweep(SWEEP_MAX_MS);
        });
    }, wait);
  }

  private scheduleSweep(waitMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => this.kickSweep(), Math.max(50, waitMs));
  }

  /** Queues "ending" for reservations within their webhooks' notice; returns ms until the next one is due. */
  async sweep(): Promise<number> {
    const { db, clock } = this.deps;
    const now = clock.now();
    if (!(await this.anyWebhooks())) return SWEEP_MAX_MS; // a cluster without webhooks pays nothing
    const hooks = (await db.webhook.findMany({ select: { id: true, userId: true, events: true, endingBeforeMs: true } })).filter((h) =>
      subscribed(h, 'ending'),
    );
    if (hooks.length === 0) return SWEEP_MAX_MS;
    const longest = Math.max(...hooks.map((h) => h.endingBeforeMs));
    const rows = await db.reservation.findMany({
      where: {
        ownerId: { in: [...new Set(hooks.map((h) => h.userId))] },
        phase: { in: [...STARTED_PHASES] },
        deletedAt: null,
        endAt: { gt: new Date(now), lte: new Date(now + longest + SWEEP_MAX_MS) },
      },
      include,
    });
    let next = now + SWEEP_MAX_MS;
    for (const row of rows) {
      for (const hook of hooks) {
        if (hook.userId !== row.ownerId) continue;
        const due = row.endAt.getTime() - hook.endingBeforeMs;
        // An extension moves the end, and with it a new notice: the end time is part of the key.
        const key = dedupeKey(hook.id, row.id, 'ending', row.endAt.getTime());
        if (due > now) next = Math.min(next, due);
        else if (!this.endingQueued.has(key)) {
          if (this.endingQueued.size > 10_000) this.endingQueued.clear();
          this.endingQueued.add(key);
          await this.enqueue(hook, row, 'ending', row.endAt.getTime());
        }
      }
    }
    return next - now;
  }
}

type ReservationRow = NonNullable<Awaited<ReturnType<Db['reservation']['findUnique']>>> & { ports: Array<{ natPort: number }> };

function subscribed(h: { events: unknown }, event: LifecycleEvent): boolean {
  return Array.isArray(h.events) && h.events.includes(event);
}
