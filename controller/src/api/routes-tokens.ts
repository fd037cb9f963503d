// Bootstrap tokens for agents (admin only; the services check): create, list, revoke.
import type { FastifyInstance } from 'fastify';
import * as svc from '../services/index.ts';

export function registerTokenRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.post('/bootstrap-tokens', async (req, reply) => reply.status(201).send(await svc.createJoinToken(ctx, req.user, req.body)));
  api.get('/bootstrap-tokens', async (req) => ({ apiVersion: 'berth/v1', kind: 'BootstrapTokenList', items: await svc.listJoinTokens(ctx, req.user) }));
  api.delete<{ Params: { id: string } }>('/bootstrap-tokens/:id', async (req) => svc.revokeJoinToken(ctx, req.user, req.params.id));
}
