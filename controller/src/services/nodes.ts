import { BerthError } from '../errors/index.ts';
import { renderNode, type NodeUsage } from '../resources/index.ts';
import type { ServiceContext } from './context.ts';

/** Cores and memory of the reservations running on each node right now. */
async function usageByNode(ctx: ServiceContext, nodeId?: string): Promise<Map<string, NodeUsage>> {
  const active = await ctx.db.reservation.findMany({ where: { phase: { in: ['Starting', 'Running'] }, ...(nodeId ? { nodeId } : {}) }, select: { nodeId: true, milliCores: true, memoryMiB: true } });
  const usage = new Map<string, NodeUsage>();
  for (const r of active) {
    if (!r.nodeId) continue;
    const u = usage.get(r.nodeId) ?? { milliCores: 0, memoryMiB: 0, reservations: 0 };
    usage.set(r.nodeId, { milliCores: u.milliCores + r.milliCores, memoryMiB: u.memoryMiB + r.memoryMiB, reservations: u.reservations + 1 });
  }
  return usage;
}

const EMPTY: NodeUsage = { milliCores: 0, memoryMiB: 0, reservations: 0 };

/** The stored row with the heartbeat this controller holds in memory, when that is newer. */
export function withLiveHeartbeat<T extends { id: string; lastHeartbeat: Date | null; metrics: unknown }>(ctx: Pick<ServiceContext, 'monitoring'>, row: T): T {
  const live = ctx.monitoring?.live(row.id);
  if (!live || (row.lastHeartbeat && row.lastHeartbeat.getTime() >= live.beatAt)) return row;
  return { ...row, lastHeartbeat: new Date(live.beatAt), metrics: Object.keys(live.metrics).length ? live.metrics : row.metrics };
}

export async function listNodes(ctx: ServiceContext) {
  const [nodes, usage] = await Promise.all([ctx.db.node.findMany({ orderBy: { name: 'asc' } }), usageByNode(ctx)]);
  return nodes.map((n) => renderNode(withLiveHeartbeat(ctx, n), usage.get(n.id) ?? EMPTY));
}

export async function getNode(ctx: ServiceContext, name: string) {
  const node = await ctx.db.node.findUnique({ where: { name } });
  if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
  return renderNode(withLiveHeartbeat(ctx, node), (await usageByNode(ctx, node.id)).get(node.id) ?? EMPTY);
}
