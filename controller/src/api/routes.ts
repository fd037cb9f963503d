import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { validateManifest } from '../manifests/index.ts';
import { authenticate } from '../auth/index.ts';
import * as svc from '../services/index.ts';
import { registerNodeOpsRoutes } from './routes-nodes.ts';
import { registerTokenRoutes } from './routes-tokens.ts';
import { registerAvailabilityRoutes } from './routes-availability.ts';
import { registerCalendarFeedRoute, registerNotifyRoutes } from './routes-notify.ts';
import { registerAccountRoutes, registerPublicAuthRoutes } from './routes-accounts.ts';
import { isWatch, registerMetricsEndpoint, registerMonitoringRoutes, streamWatch } from './routes-monitoring.ts';
import { streamList } from './stream-list.ts';
import { registerWebRoutes } from '../web/index.ts';
import { registerExecRoute, registerExecUpgrade } from './routes-exec.ts';
import { containerDetail, observedContainer } from '../monitoring/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: User;
  }
}

const list = (kind: string, items: unknown[]) => ({ apiVersion: 'berth/v1', kind: `${kind}List`, items });

export function registerRoutes(app: FastifyInstance, ctx: svc.ServiceContext, ready: () => boolean): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => (ready() ? { status: 'ready' } : reply.status(503).send({ status: 'starting' })));

  registerMetricsEndpoint(app, ctx);
  registerExecUpgrade(app);
  registerWebRoutes(app);
  app.register(async (pub) => registerPublicAuthRoutes(pub, ctx), { prefix: '/api/v1/auth' });
  app.register(async (pub) => registerCalendarFeedRoute(pub, ctx), { prefix: '/api/v1/calendar' });
  app.register(
    async (api) => {
      api.decorateRequest('user', null as unknown as User);
      api.addHook('onRequest', async (req: FastifyRequest) => {
        req.user = await authenticate(ctx.db, req.headers.authorization, ctx.clock.now(), ctx.principals);
      });
      registerAccountRoutes(api, ctx);

      api.post('/apply', async (req, reply) => {
        const manifest = validateManifest(req.body);
        const result =
          manifest.kind === 'Image'
            ? await svc.applyImage(ctx, req.user, manifest)
            : // A refusal for want of room gains counter-offers, computed outside the admission section.
              await svc.applyReservation(ctx, req.user, manifest).catch((err: unknown) => svc.withCounterOffers(ctx, req.user, manifest, err));
        return reply.status(result.action === 'created' ? 201 : 200).send(result);
      });

      registerAvailabilityRoutes(api, ctx);
      api.get('/images', async () => list('Image', await svc.listImages(ctx)));
      api.get<{ Params: { name: string } }>('/images/:name', async (req) => svc.getImage(ctx, req.params.name));
      api.delete<{ Params: { name: string } }>('/images/:name', async (req) => svc.deleteImage(ctx, req.user, req.params.name));

      api.get('/reservations', async (req, reply) =>
        isWatch(req.query)
          ? streamWatch(api, req, reply, ctx, ['reservations'], () => svc.listReservations(ctx, req.user))
          : streamList(reply, 'Reservation', svc.reservationChunks(ctx, req.user)),
      );
      // One object, so the container's own report (confinement, disk use) comes along: describe shows it.
      api.get<{ Params: { name: string } }>('/reservations/:name', async (req) => {
        const r = await svc.getReservation(ctx, req.user, req.params.name);
        const seen = ctx.monitoring && observedContainer(ctx.monitoring, r.metadata.uid, r.metadata.generation);
        return seen ? { ...r, status: { ...r.status, container: containerDetail(seen) } } : r;
      });
      api.delete<{ Params: { name: string } }>('/reservations/:name', async (req) => svc.deleteReservation(ctx, req.user, req.params.name));

      // Customers get the reduced view (services/nodes.ts nodeViewFor), in lists and watches alike.
      const nodesFor = async (user: User) => (await svc.listNodes(ctx)).map((n) => svc.nodeViewFor(user, n));
      api.get('/nodes', async (req, reply) =>
        isWatch(req.query) ? streamWatch(api, req, reply, ctx, ['nodes'], () => nodesFor(req.user)) : list('Node', await nodesFor(req.user)),
      );
      registerMonitoringRoutes(api, ctx);
      registerExecRoute(api, ctx);
      api.get<{ Params: { name: string } }>('/nodes/:name', async (req) => svc.nodeViewFor(req.user, await svc.getNode(ctx, req.params.name)));
      registerNodeOpsRoutes(api, ctx);
      registerTokenRoutes(api, ctx);
      registerNotifyRoutes(api, ctx);

      api.get<{ Querystring: { kind?: string; name?: string; limit?: string } }>('/events', async (req) => {
        const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new BerthError('Invalid', 'limit: must be a positive integer', 'limit');
        return list('Event', await svc.listEvents(ctx, req.user, { kind: req.query.kind, name: req.query.name, limit }));
      });
    },
    { prefix: '/api/v1' },
  );
}
