import type { User } from '../store/generated/postgresql/client.ts';
import { renderEvent } from '../resources/index.ts';
import type { ServiceContext } from './context.ts';

export async function listEvents(ctx: ServiceContext, user: User, filter: { kind?: string; name?: string; limit?: number }) {
  await ctx.events.flush();
  let objectIds: string[] | undefined;
  if (user.role !== 'admin') {
    // Customers see events of their own reservations only.
    const mine = await ctx.db.reservation.findMany({ where: { ownerId: user.id }, select: { id: true } });
    objectIds = mine.map((r) => r.id);
  }
  const rows = await ctx.db.event.findMany({
    where: {
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.name ? { objectName: filter.name } : {}),
      ...(objectIds ? { objectId: { in: objectIds } } : {}),
    },
    orderBy: { id: 'desc' },
    take: Math.min(filter.limit ?? 200, 1000),
  });
  return rows.reverse().map(renderEvent);
}
