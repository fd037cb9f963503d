// New reservations admitted as a group (group commit). Inside one admission section each is
// checked against its owner's quota and placed in memory in arrival order, each seeing those
// before it (their capacity is committed to the index at once), then all are inserted with one
// statement. Anything else goes the one-by-one way, in the same section: an apply refused here
// (which counts only if no live reservation has that name, else it is an update), and every
// member of a group whose insert failed (a name taken meanwhile, two applies of one name).
import type { User } from '../store/generated/postgresql/client.ts';
import type { Manifest } from '../manifests/index.ts';
import type { AdmissionGuard } from '../capacity/index.ts';
import type { Interval } from '../quotas/index.ts';
import { GroupQueue, type Settled } from '../lib/group-queue.ts';
import type { ServiceContext } from './context.ts';
import { applyOne, createdResult, planCreate, type PlannedCreate, type ResolvedApply } from './reservations.ts';

export interface CreateAttempt {
  ctx: ServiceContext;
  user: User;
  m: Extract<Manifest, { kind: 'Reservation' }>;
  resolved: ResolvedApply;
}

export type CreateOutcome = Awaited<ReturnType<typeof applyOne>>;
export type CreateQueue = GroupQueue<CreateAttempt, CreateOutcome>;

export function createQueue(guard: Pick<AdmissionGuard, 'run'>): CreateQueue {
  return new GroupQueue((section) => guard.run(section), createGroup);
}

async function createGroup(attempts: CreateAttempt[]): Promise<Array<Settled<CreateOutcome>>> {
  const ctx = attempts[0].ctx;
  const { planned, refused } = await planAll(attempts);
  const rows = planned.size > 0 ? await insertAll(ctx, [...planned.values()]) : undefined;
  // A refusal met beside the group's capacity stands only if that capacity was written.
  const groupStands = planned.size === 0 || rows !== undefined;
  const out: Array<Settled<CreateOutcome>> = [];
  for (const [i, a] of attempts.entries()) {
    const plan = planned.get(i);
    const row = plan && rows?.get(plan.data.id);
    if (plan && row) {
      out.push({ ok: createdResult(ctx, a.user, plan, row) });
      continue;
    }
    out.push(
      await applyOne(ctx, a.user, a.m, { v: a.resolved }, groupStands ? refused.get(i) : undefined).then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err }),
      ),
    );
  }
  return out;
}

/**
 * Plans each member in order; a planned one holds its capacity in the index from here on. The
 * others keep why they were refused, for their one-by-one turn.
 */
async function planAll(attempts: CreateAttempt[]) {
  const planned = new Map<number, PlannedCreate>();
  const refused = new Map<number, unknown>();
  const pending = new Map<string, Interval[]>();
  for (const [i, a] of attempts.entries()) {
    try {
      const plan = await planCreate(a.ctx, a.user, a.m, a.resolved, pending.get(a.user.id));
      a.ctx.admission.commit(plan.data.id, plan.commitment);
      planned.set(i, plan);
      const c = plan.commitment;
      pending.set(a.user.id, [...(pending.get(a.user.id) ?? []), { start: c.start, end: c.end, milliCores: c.milliCores, publicPorts: c.publicPorts }]);
    } catch (err) {
      refused.set(i, err);
    }
  }
  return { planned, refused };
}

/** One insert for the group; on failure the group's capacity is released and nothing was written. */
async function insertAll(ctx: ServiceContext, plans: PlannedCreate[]) {
  try {
    const rows = await ctx.db.reservation.createManyAndReturn({ data: plans.map((p) => p.data) });
    return new Map(rows.map((r) => [r.id, r]));
  } catch (err) {
    for (const p of plans) ctx.admission.release(p.data.id);
    ctx.log.debug({ err, group: plans.length }, 'group insert failed; admitting one by one');
    return undefined;
  }
}
