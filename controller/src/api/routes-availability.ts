// When requests fit: the earliest windows (any token), hour by hour for the dashboard's strip
// (any token), and per node for the admins' Gantt view.
import type { FastifyInstance } from 'fastify';
import * as svc from '../services/index.ts';

export function registerAvailabilityRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.get('/availability', async (req) => svc.availability(ctx, req.user, req.query));
  api.get('/availability/hours', async (req) => svc.availabilityHours(ctx, req.user, req.query));
  api.get('/availability/nodes', async (req) => svc.nodeTimelines(ctx, req.user, req.query));
}
