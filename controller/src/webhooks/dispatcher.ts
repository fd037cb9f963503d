// Works the outbox: one lane per webhook, each sending its due deliveries one at a time, so a
// slow or dead receiver delays only its own deliveries. A lane claims a row by moving its
// nextAttemptAt forward (a lease: another controller on the same database skips it, and a
// controller that dies mid-attempt leaves it to be tried again when the lease runs out), makes
// the attempt, logs it, and plans the next one with planRetry. Rows are the durable state: a
// restarted controller picks up every pending delivery.
import type { Logger } from 'pino';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import { deliver, type DeliveryResult } from './deliver.ts';
import { delivered, planRetry, type RetryPolicy } from './retry-plan.ts';
import { signatureHeader, SIGNATURE_HEADER } from './signature.ts';

export interface DispatcherDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  policy: RetryPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The address judge in force now (the nodes' addresses change). */
  judge: () => Promise<(ip: string) => string | undefined>;
  random?: () => number;
  /** Name resolution override (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

interface Lane {
  running: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
}

const LEASE_MARGIN_MS = 30_000;
const ERROR_RETRY_MS = 5_000;

export class WebhookDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: DispatcherDeps) {
    this.log = deps.log.child({ component: 'webhooks' });
  }

  /** Starts a lane for every webhook with pending deliveries (after a restart). */
  async start(): Promise<void> {
    const rows = await this.deps.db.webhookDelivery.findMany({ where: { state: 'pending' }, distinct: ['webhookId'], select: { webhookId: true } });
    for (const r of rows) this.wake(r.webhookId);
  }

  /** The webhook has a new or due delivery. */
  wake(webhookId: string): void {
    if (this.stopped) return;
    let lane = this.lanes.get(webhookId);
    if (!lane) this.lanes.set(webhookId, (lane = { running: false, again: false }));
    clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.running) {
      lane.again = true;
      return;
    }
    const run = this.run(webhookId, lane);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async run(webhookId: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (!this.stopped) {
        lane.again = false;
        const wait = await this.step(webhookId);
        if (wait === 0 || lane.again) continue;
        if (wait !== undefined) lane.timer = setTimeout(() => this.wake(webhookId), wait);
        else this.lanes.delete(webhookId);
        break;
      }
    } catch (err) {
      this.log.warn({ err, webhook: webhookId }, 'webhook lane failed');
      if (!this.stopped) lane.timer = setTimeout(() => this.wake(webhookId), ERROR_RETRY_MS);
    } finally {
      lane.running = false;
    }
  }

  /** One due delivery: undefined when none is pending, else 0 (sent one) or ms until the next is due. */
  private async step(webhookId: string): Promise<number | undefined> {
    const { db, clock } = this.deps;
    const row = await db.webhookDelivery.findFirst({ where: { webhookId, state: 'pending' }, orderBy: [{ nextAttemptAt: 'asc' }, { createdAt: 'asc' }] });
    if (!row) return undefined;
    const now = clock.now();
    if (row.nextAttemptAt.getTime() > now) return row.nextAttemptAt.getTime() - now;
    const lease = new Date(now + this.deps.timeoutMs + LEASE_MARGIN_MS);
    const claimed = await db.webhookDelivery.updateMany({
      where: { id: row.id, state: 'pending', nextAttemptAt: row.nextAttemptAt },
      data: { nextAttemptAt: lease },
    });
    if (claimed.count !== 1) return 0; // another controller has it
    const hook = await db.webhook.findUnique({ where: { id: webhookId } });
    if (!hook) {
      await db.webhookDelivery.updateMany({ where: { webhookId, state: 'pending' }, data: { state: 'failed' } });
      return undefined;
    }
    const attempt = row.attempts + 1;
    const result = await this.attempt(hook, row);
    const at = clock.now();
    await db.webhookAttempt.create({
      data: {
        deliveryId: row.id,
        webhookId,
        reservationId: row.reservationId,
        event: row.event,
        host: new URL(hook.url).host,
        attempt,
        statusCode: result.statusCode ?? null,
        error: result.error?.slice(0, 300) ?? null,
        at: new Date(at),
      },
    });
    const ok = delivered(result.statusCode);
    const next = ok ? undefined : planRetry(attempt, at, this.deps.policy, (this.deps.random ?? Math.random)());
    await db.webhookDelivery.update({
      where: { id: row.id },
      data: {
        attempts: attempt,
        state: ok ? 'delivered' : next?.retry ? 'pending' : 'failed',
        ...(next?.retry ? { nextAttemptAt: new Date(next.at) } : {}),
      },
    });
    this.log.info(
      { webhook: webhookId, delivery: row.id, event: row.event, attempt, status: result.statusCode, error: result.error },
      ok ? 'webhook delivered' : 'webhook delivery failed',
    );
    return 0;
  }

  private async attempt(hook: { url: string; secret: string }, row: { id: string; event: string; body: string }): Promise<DeliveryResult> {
    return deliver({
      url: hook.url,
      body: row.body,
      headers: {
        [SIGNATURE_HEADER]: signatureHeader(hook.secret, row.body, this.deps.clock.now()),
        'berth-event': `reservation.${row.event}`,
        'berth-delivery': row.id,
      },
      timeoutMs: this.deps.timeoutMs,
      maxResponseBytes: this.deps.maxResponseBytes,
      judge: await this.deps.judge(),
      ...(this.deps.resolve ? { resolve: this.deps.resolve } : {}),
    });
  }
}
