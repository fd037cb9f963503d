// The calendar feed and webhooks: the feed itself is public (its URL's token is the credential,
// for calendar clients that cannot send a bearer token); managing either needs the user's token.
import type { FastifyInstance } from 'fastify';
import * as svc from '../services/index.ts';

export function registerCalendarFeedRoute(pub: FastifyInstance, ctx: svc.ServiceContext): void {
  pub.get<{ Params: { file: string } }>('/:file', async (req, reply) => {
    const token = req.params.file.endsWith('.ics') ? req.params.file.slice(0, -4) : '';
    const { body, etag } = await svc.renderCalendarFeed(ctx, token);
    // Computed on every request, so clients revalidate (cheap with the ETag) rather than cache;
    // private: a shared cache must not keep one user's calendar.
    reply
      .header('cache-control', 'private, no-cache')
      .header('etag', etag)
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.type('text/calendar; charset=utf-8').send(body);
  });
}

export function registerNotifyRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.get('/calendar/feed', async (req) => svc.calendarFeedInfo(ctx, req.user));
  api.post('/calendar/feed', async (req, reply) => reply.status(201).send(await svc.rotateCalendarFeed(ctx, req.user)));
  api.delete('/calendar/feed', async (req) => svc.revokeCalendarFeed(ctx, req.user));

  api.post('/webhooks', async (req, reply) => reply.status(201).send(await svc.addWebhook(ctx, req.user, req.body)));
  api.get('/webhooks', async (req) => ({ apiVersion: 'berth/v1', kind: 'WebhookList', items: await svc.listWebhooks(ctx, req.user) }));
  api.delete<{ Params: { id: string } }>('/webhooks/:id', async (req) => svc.removeWebhook(ctx, req.user, req.params.id));
  api.get<{ Params: { name: string } }>('/reservations/:name/deliveries', async (req) => ({
    apiVersion: 'berth/v1',
    kind: 'WebhookDeliveryList',
    items: await svc.reservationDeliveries(ctx, req.user, req.params.name),
  }));
}
