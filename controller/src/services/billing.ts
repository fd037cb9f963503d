// Statements: a customer's month, or every customer's month for admins.
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { buildStatement, monthOf, parseMonth, type Month, type StatementItem } from '../billing/index.ts';
import type { ServiceContext } from './context.ts';
import { loadRates } from './rates.ts';
import { adminOnly } from './quotas.ts';

function resolveMonth(ctx: ServiceContext, key: string | undefined): Month {
  if (key === undefined || key === '') return monthOf(ctx.clock.now());
  const month = parseMonth(key);
  if (!month) throw new BerthError('Invalid', `month: must be YYYY-MM, got "${key}"`, 'month');
  return month;
}

/** Every reservation of the owners that ran before the month ended, deleted ones included. */
async function itemsOf(ctx: ServiceContext, month: Month, ownerIds?: string[]) {
  const rows = await ctx.db.reservation.findMany({
    where: { startedAt: { not: null, lt: new Date(month.end) }, ...(ownerIds ? { ownerId: { in: ownerIds } } : {}) },
    orderBy: [{ startedAt: 'asc' }, { name: 'asc' }],
  });
  const rates = await loadRates(
    ctx.db,
    rows.map((r) => r.imageName),
  );
  return rows.map((r) => ({
    ownerId: r.ownerId,
    item: {
      reservation: r.name,
      uid: r.id,
      image: r.imageName,
      milliCores: r.milliCores,
      rateCentsPerCoreHour: r.rateCentsPerCoreHour ?? rates(r.imageName),
      startedAt: r.startedAt!.getTime(),
      endAt: r.endAt.getTime(),
      endedAt: r.endedAt?.getTime() ?? null,
    } satisfies StatementItem,
  }));
}

/** The caller's statement; admins may name another user. */
export async function getStatement(ctx: ServiceContext, user: User, opts: { month?: string; username?: string }) {
  const month = resolveMonth(ctx, opts.month);
  let owner = user;
  if (opts.username !== undefined && opts.username !== user.username) {
    adminOnly(user, "read another user's bill");
    const found = await ctx.db.user.findUnique({ where: { username: opts.username } });
    if (!found) throw new BerthError('NotFound', `user "${opts.username}" not found`);
    owner = found;
  }
  const items = await itemsOf(ctx, month, [owner.id]);
  return {
    user: owner.username,
    ...buildStatement(
      month,
      items.map((i) => i.item),
      ctx.clock.now(),
    ),
  };
}

/** Admin view: one summary line per user who has reservations, plus the grand total. */
export async function listStatements(ctx: ServiceContext, admin: User, opts: { month?: string }) {
  adminOnly(admin, "read all customers' bills");
  const month = resolveMonth(ctx, opts.month);
  const [users, items] = await Promise.all([ctx.db.user.findMany({ orderBy: { username: 'asc' } }), itemsOf(ctx, month)]);
  const now = ctx.clock.now();
  const customers = users
    .map((u) => {
      const s = buildStatement(
        month,
        items.filter((i) => i.ownerId === u.id).map((i) => i.item),
        now,
      );
      return { user: u.username, role: u.role, reservations: s.lines.length, hours: s.lines.reduce((h, l) => h + l.hours, 0), totalCents: s.totalCents };
    })
    .filter((c) => c.reservations > 0);
  return { month: month.key, customers, totalCents: customers.reduce((t, c) => t + c.totalCents, 0), currency: 'USD' as const };
}
