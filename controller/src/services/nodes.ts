import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { readyCondition, STARTED_PHASES } from '../domain/index.ts';
import { renderNode, type NodeUsage } from '../resources/index.ts';
import type { ServiceContext } from './context.ts';
import { withLiveHeartbeat } from '../monitoring/live-heartbeat.ts';

type NodeObject = ReturnType<typeof renderNode>;

/**
 * A node as the user may see it. Admins see everything; a customer sees what placing a
 * reservation needs (name, readiness, cordon, size) but not the node's address on the private
 * network, its load, its heartbeat or what the other tenants hold on it.
 */
export function nodeViewFor(user: Pick<User, 'role'>, node: NodeObject) {
  if (user.role === 'admin') return node;
  const { name, uid, creationTimestamp } = node.metadata;
  const ready = readyCondition(node.status);
  const spec = node.spec as { cores: number; memory: string; unschedulable: boolean };
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: { name, uid, creationTimestamp },
    spec: { cores: spec.cores, memory: spec.memory, unschedulable: spec.unschedulable },
    status: {
      // Reason only: a message may name addresses or timings of the node's connection.
      conditions: ready ? [{ type: ready.type, status: ready.status, reason: ready.reason, lastTransitionTime: ready.lastTransitionTime }] : [],
      capacity: node.status.capacity,
    },
  };
}

/** Cores and memory of the reservations running on each node right now. */
async function usageByNode(ctx: ServiceContext, nodeId?: string): Promise<Map<string, NodeUsage>> {
  const active = await ctx.db.reservation.findMany({
    where: { phase: { in: [...STARTED_PHASES] }, ...(nodeId ? { nodeId } : {}) },
    select: { nodeId: true, milliCores: true, memoryMiB: true },
  });
  const usage = new Map<string, NodeUsage>();
  for (const r of active) {
    if (!r.nodeId) continue;
    const u = usage.get(r.nodeId) ?? { milliCores: 0, memoryMiB: 0, reservations: 0 };
    usage.set(r.nodeId, { milliCores: u.milliCores + r.milliCores, memoryMiB: u.memoryMiB + r.memoryMiB, reservations: u.reservations + 1 });
  }
  return usage;
}

const EMPTY: NodeUsage = { milliCores: 0, memoryMiB: 0, reservations: 0 };

export async function listNodes(ctx: ServiceContext) {
  const [nodes, usage] = await Promise.all([ctx.db.node.findMany({ orderBy: { name: 'asc' } }), usageByNode(ctx)]);
  return nodes.map((n) => renderNode(withLiveHeartbeat(n, ctx.monitoring?.live(n.id)), usage.get(n.id) ?? EMPTY));
}

export async function getNode(ctx: ServiceContext, name: string) {
  const node = await ctx.db.node.findUnique({ where: { name } });
  if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
  return renderNode(withLiveHeartbeat(node, ctx.monitoring?.live(node.id)), (await usageByNode(ctx, node.id)).get(node.id) ?? EMPTY);
}
