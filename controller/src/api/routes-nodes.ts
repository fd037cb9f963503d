// Node administration routes: cordon, uncordon, drain, revoke (admin only; the services check).
import type { FastifyInstance } from 'fastify';
import * as svc from '../services/index.ts';

export function registerNodeOpsRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  type P = { Params: { name: string } };
  api.post<P>('/nodes/:name/cordon', async (req) => svc.cordonNode(ctx, req.user, req.params.name));
  api.post<P>('/nodes/:name/uncordon', async (req) => svc.uncordonNode(ctx, req.user, req.params.name));
  api.post<P>('/nodes/:name/drain', async (req) => svc.drainNode(ctx, req.user, req.params.name));
  api.post<P>('/nodes/:name/revoke', async (req) => svc.revokeNodeIdentity(ctx, req.user, req.params.name));
}
