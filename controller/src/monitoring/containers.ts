// Admin view of every container: what the controller wants (the reservation's phase) next to
// what the node last reported (state, health, restarts, usage).
import type { PrismaClient as Db } from '../store/index.ts';
import type { Monitoring } from './monitoring.ts';
import { PLACED_PHASES } from '../domain/index.ts';

export interface ContainerView {
  reservation: string;
  reservationUid: string;
  owner: string;
  node: string;
  /** desired: the reservation's phase */
  phase: string;
  /** actual: the engine's state as the node reported it; "unknown" before its first report */
  state: string;
  health: string;
  restartCount: number;
  cpuPercent?: number;
  memoryBytes?: number;
  containerId?: string;
  message?: string;
}

/**
 * A container's usage as its node last measured it, or nothing if it has not been measured: the
 * agent samples every 10 s and, until its first sample, reports proto3's default 0 for both
 * (no running process uses 0 bytes), which read as "0.0 % and 0 MiB" rather than "not yet".
 */
export function measuredUsage(c: { cpuPercent?: number; memoryBytes?: number } | undefined): { cpuPercent: number; memoryBytes: number } | undefined {
  if (!c || !(Number(c.memoryBytes) > 0)) return undefined;
  return { cpuPercent: c.cpuPercent ?? 0, memoryBytes: Number(c.memoryBytes) };
}

export async function listContainers(db: Db, mon: Pick<Monitoring, 'observed'>): Promise<ContainerView[]> {
  const rows = await db.reservation.findMany({
    where: { phase: { in: [...PLACED_PHASES] }, nodeId: { not: null } },
    include: { node: true, owner: true },
    orderBy: [{ startAt: 'asc' }, { name: 'asc' }],
  });
  return rows.map((r) => {
    const seen = mon.observed(r.nodeId!)?.get(r.id);
    return {
      reservation: r.name,
      reservationUid: r.id,
      owner: r.owner.username,
      node: r.node?.name ?? '',
      phase: r.phase,
      state: seen?.state ?? (mon.observed(r.nodeId!) ? 'absent' : 'unknown'),
      health: seen?.health || 'none',
      restartCount: seen?.restartCount ?? 0,
      ...measuredUsage(seen),
      ...(seen?.containerId ? { containerId: seen.containerId } : {}),
      ...(seen?.message ? { message: seen.message } : {}),
    };
  });
}
