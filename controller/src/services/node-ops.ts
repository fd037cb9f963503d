// Admin operations on nodes: cordon (no new placements), uncordon, and drain (cordon, then move
// the node's reservations, started or not, to other nodes where they fit).
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { evacuateNode, type EvacuationResult } from '../reconcile/index.ts';
import { recordEvent } from '../events/index.ts';
import { requireAdmin, type ServiceContext } from './context.ts';
import { getNode } from './nodes.ts';

async function setCordoned(ctx: ServiceContext, user: User, name: string, cordoned: boolean) {
  requireAdmin(user, 'nodes');
  const node = await ctx.db.node.findUnique({ where: { name } });
  if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
  if (node.cordoned !== cordoned) {
    await ctx.db.node.update({ where: { id: node.id }, data: { cordoned } });
    ctx.admission.capacity.setCordoned(node.id, cordoned);
    await recordEvent(ctx.db, {
      kind: 'Node',
      objectId: node.id,
      objectName: node.name,
      reason: cordoned ? 'Cordoned' : 'Uncordoned',
      message: `${cordoned ? 'cordoned' : 'uncordoned'} by ${user.username}`,
    });
    ctx.log.info({ node: name, cordoned, by: user.username }, 'node schedulability changed');
  }
  return node;
}

export async function cordonNode(ctx: ServiceContext, user: User, name: string) {
  await ctx.admission.run(() => setCordoned(ctx, user, name, true));
  return getNode(ctx, name);
}

export async function uncordonNode(ctx: ServiceContext, user: User, name: string) {
  await ctx.admission.run(() => setCordoned(ctx, user, name, false));
  return getNode(ctx, name);
}

export async function drainNode(
  ctx: ServiceContext,
  user: User,
  name: string,
): Promise<{
  node: unknown;
  drain: Pick<EvacuationResult, 'remaining'> & {
    rescheduled: Array<{ reservation: string; node: string }>;
    failed: Array<{ reservation: string; reason: string }>;
  };
}> {
  const drain = await ctx.admission.run(async () => {
    const node = await setCordoned(ctx, user, name, true);
    const deps = { db: ctx.db, log: ctx.log, strategy: ctx.config.strategy, guard: ctx.admission, events: ctx.events };
    return evacuateNode(deps, node, 'was drained', ctx.clock.now(), { failUnplaceable: false });
  });
  const node = await ctx.db.node.findUnique({ where: { name }, select: { id: true } });
  if (node) {
    ctx.reconcile.node(node.id);
    ctx.reconcile.push(node.id);
  }
  for (const { id } of [...drain.rescheduled, ...drain.failed]) ctx.reconcile.reservation(id);
  for (const to of new Set(drain.rescheduled.map((r) => r.toNodeId))) ctx.reconcile.push(to);
  await ctx.settle(); // containers start on their new nodes and NAT follows before we answer
  const shown = {
    rescheduled: drain.rescheduled.map(({ reservation, node }) => ({ reservation, node })),
    failed: drain.failed.map(({ reservation, reason }) => ({ reservation, reason })),
    remaining: drain.remaining,
  };
  return { node: await getNode(ctx, name), drain: shown };
}

/**
 * Revokes the node's identity: its stream closes at once and its certificate is refused from now
 * on. The name can be joined again only with a bootstrap token (and a new key).
 */
export async function revokeNodeIdentity(ctx: ServiceContext, user: User, name: string) {
  requireAdmin(user, 'node identities');
  if (!ctx.agents) throw new BerthError('Unavailable', 'the agent endpoint is not serving');
  const id = await ctx.agents.revokeNode(name);
  await recordEvent(ctx.db, {
    kind: 'Node',
    objectId: id,
    objectName: name,
    reason: 'IdentityRevoked',
    message: `node identity revoked by ${user.username}`,
    type: 'Warning',
  });
  ctx.log.warn({ node: name, by: user.username }, 'node identity revoked');
  ctx.reconcile.node(id);
  return getNode(ctx, name);
}
