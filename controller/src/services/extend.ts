// Extending a live reservation: the extra window must fit on the node it already holds (the
// scheduler's 409 otherwise) and within the owner's quotas; billing follows the new end.
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { formatDurationMs, parseDurationMs, type ReservationSpecInput } from '../manifests/index.ts';
import { admittedPortCount } from '../domain/index.ts';
import { recordEvent } from '../events/index.ts';
import type { ServiceContext } from './context.ts';
import { admit } from './admission.ts';
import { enforceQuota } from './quotas.ts';
import { renderReservationRow } from './reservations.ts';

const include = { node: true, ports: true, owner: true } as const;

function parseBy(body: unknown): number {
  const by = body && typeof body === 'object' ? (body as Record<string, unknown>).by : undefined;
  const ms = typeof by === 'string' ? parseDurationMs(by) : undefined;
  if (ms === undefined || ms <= 0) throw new BerthError('Invalid', 'by: must be a positive duration such as 30m or 2h', 'by');
  return ms;
}

export async function extendReservation(ctx: ServiceContext, user: User, name: string, body: unknown) {
  const byMs = parseBy(body);
  const row = await ctx.admission.run(async () => {
    const existing = await ctx.db.reservation.findFirst({ where: { activeName: name, ...(user.role === 'admin' ? {} : { ownerId: user.id }) }, include });
    if (!existing || existing.deletedAt) throw new BerthError('NotFound', `reservation "${name}" not found`);
    if (!existing.nodeId) throw new BerthError('Conflict', `reservation "${name}" has no node yet; re-apply it with a longer duration instead`);
    const startAt = existing.startAt.getTime();
    const endAt = existing.endAt.getTime() + byMs;
    if (endAt - startAt > ctx.config.maxDurationMs) {
      throw new BerthError(
        'Invalid',
        `by: the reservation would last ${formatDurationMs(endAt - startAt)}, more than the maximum of ${formatDurationMs(ctx.config.maxDurationMs)}`,
        'by',
      );
    }
    await enforceQuota(ctx, existing.owner, { startAt, endAt, milliCores: existing.milliCores, publicPorts: admittedPortCount(existing) }, existing.id);
    // Only the extra window is new, but admitting the whole window on the same node is equivalent
    // (the reservation does not compete with itself) and reuses the scheduler's own 409.
    const publicPorts = admittedPortCount(existing);
    admit(
      ctx.admission,
      {
        start: startAt,
        end: endAt,
        milliCores: existing.milliCores,
        memoryMiB: existing.memoryMiB,
        publicPorts,
        excludeReservationId: existing.id,
        onlyNodeId: existing.nodeId,
      },
      ctx.config.strategy,
    );
    const spec = { ...(existing.spec as ReservationSpecInput), duration: formatDurationMs(endAt - startAt) };
    const updated = await ctx.db.reservation.update({ where: { id: existing.id }, data: { endAt: new Date(endAt), spec }, include });
    ctx.admission.commit(updated.id, {
      nodeId: existing.nodeId,
      start: startAt,
      end: endAt,
      milliCores: existing.milliCores,
      memoryMiB: existing.memoryMiB,
      publicPorts,
    });
    await recordEvent(ctx.db, {
      kind: 'Reservation',
      objectId: updated.id,
      objectName: updated.name,
      reason: 'Extended',
      message: `extended by ${formatDurationMs(byMs)}: now ends ${updated.endAt.toISOString()}`,
    });
    return updated;
  });
  ctx.reconcile.reservation(row.id);
  return renderReservationRow(ctx, row);
}
