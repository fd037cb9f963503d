import { BerthError } from '../errors/index.ts';
import { renderNode, type NodeUsage } from '../resources/index.ts';
import type { ServiceContext } from './context.ts';

/** Cores and memory of the reservations running on each node right now. */
async function usageByNode(ctx: ServiceContext): Promise<Map<string, NodeUsage>> {
  const active = await ctx.db.reservation.findMany({ where: { phase: { in: ['Starting', 'Running'] } }, select: { nodeId: true, cores: true, memoryMiB: true } });
  const usage = new Map<string, NodeUsage>();
  for (const r of active) {
    if (!r.nodeId) continue;
    const u = usage.get(r.nodeId) ?? { cores: 0, memoryMiB: 0, reservations: 0 };
    usage.set(r.nodeId, { cores: u.cores + r.cores, memoryMiB: u.memoryMiB + r.memoryMiB, reservations: u.reservations + 1 });
  }
  return usage;
}

const EMPTY: NodeUsage = { cores: 0, memoryMiB: 0, reservations: 0 };

export async function listNodes(ctx: ServiceContext) {
  const [nodes, usage] = await Promise.all([ctx.db.node.findMany({ orderBy: { name: 'asc' } }), usageByNode(ctx)]);
  return nodes.map((n) => renderNode(n, usage.get(n.id) ?? EMPTY));
}

export async function getNode(ctx: ServiceContext, name: string) {
  const node = await ctx.db.node.findUnique({ where: { name } });
  if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
  return renderNode(node, (await usageByNode(ctx)).get(node.id) ?? EMPTY);
}
