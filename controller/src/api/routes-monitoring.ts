// Monitoring routes: watches (?watch=1, newline-delimited JSON events), container logs, the admin
// container view, node metric history, and Prometheus /metrics.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError } from '../errors/index.ts';
import { isStarted } from '../domain/index.ts';
import * as svc from '../services/index.ts';
import { authenticate } from '../auth/index.ts';
import {
  controllerRegistries,
  type ControllerRegistries,
  diffSnapshots,
  listContainers,
  nodeHistory,
  RANGES,
  type Monitoring,
  type Topic,
} from '../monitoring/index.ts';

export const isWatch = (q: unknown): boolean => {
  const w = (q as { watch?: string } | undefined)?.watch;
  return w !== undefined && w !== '0' && w !== 'false';
};

function monitoringOf(ctx: svc.ServiceContext): Monitoring {
  if (!ctx.monitoring) throw new BerthError('Unavailable', 'monitoring is not running in this server');
  return ctx.monitoring;
}

// Long-lived responses must not hold up a shutdown: fastify only closes idle connections itself.
// Hooks cannot be added once the server listens, so the root registers one (registerMetricsEndpoint).
const openStreams = new WeakMap<svc.ServiceContext, Set<() => void>>();
function streamsOf(ctx: svc.ServiceContext): Set<() => void> {
  let set = openStreams.get(ctx);
  if (!set) openStreams.set(ctx, (set = new Set()));
  return set;
}
function trackStream(ctx: svc.ServiceContext, end: () => void): () => void {
  const set = streamsOf(ctx);
  set.add(end);
  return () => set.delete(end);
}

const WATCH_MIN_MS = 100;

/** Streams ADDED/MODIFIED/DELETED events: the current objects first, then every change. */
export function streamWatch<T extends { metadata: { uid: string } }>(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: svc.ServiceContext,
  topics: Topic[],
  list: () => Promise<T[]>,
): FastifyReply {
  const mon = monitoringOf(ctx);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  // Headers go out now: with nothing to report yet, Node would hold them until the first write.
  res.flushHeaders();
  let prev = new Map<string, string>();
  let prevObjects = new Map<string, T>();
  let closed = false;
  let running = false;
  let again = false;
  let lastEnd = 0;
  let timer: NodeJS.Timeout | undefined;
  const pump = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const d = diffSnapshots(prev, prevObjects, await list(), (o) => o.metadata.uid);
        prev = d.snapshot;
        prevObjects = d.objects;
        if (!closed && d.events.length) res.write(d.events.map((e) => `${JSON.stringify(e)}\n`).join(''));
      } while (again && !closed);
    } catch (err) {
      req.log.warn({ err }, 'watch list failed');
    } finally {
      running = false;
      lastEnd = Date.now();
    }
  };
  // Each list re-reads every object the watcher may see: a change after a quiet spell goes out at
  // once, but a storm of changes (every reconcile notifies) is listed at most every WATCH_MIN_MS.
  const notified = () => {
    if (timer || closed) return;
    const wait = lastEnd + WATCH_MIN_MS - Date.now();
    if (wait <= 0 && !running) return void pump();
    timer = setTimeout(
      () => {
        timer = undefined;
        void pump();
      },
      Math.max(0, wait),
    );
  };
  const unsubs = topics.map((t) => mon.bus.subscribe(t, notified));
  // A comment-free keepalive: a blank line is ignored by NDJSON readers but keeps proxies from timing out.
  const keepalive = setInterval(() => {
    if (!closed) res.write('\n');
  }, 25_000);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    clearTimeout(timer);
    for (const u of unsubs) u();
    untrack();
    res.end();
  };
  // On shutdown the socket goes too: a keep-alive connection would otherwise hold the server open.
  const untrack = trackStream(ctx, () => {
    close();
    res.destroy();
  });
  res.on('close', close);
  void pump();
  return reply;
}

const logsQuery = (q: { follow?: string; tail?: string }) => {
  const follow = q.follow !== undefined && q.follow !== '0' && q.follow !== 'false';
  const tail = q.tail === undefined ? 0 : Number(q.tail);
  if (!Number.isInteger(tail) || tail < 0) throw new BerthError('Invalid', 'tail: must be a non-negative integer', 'tail');
  return { follow, tail };
};

/** Routes inside the authenticated /api/v1 scope. */
export function registerMonitoringRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.get<{ Params: { name: string }; Querystring: { follow?: string; tail?: string } }>('/reservations/:name/logs', async (req, reply) => {
    const opts = logsQuery(req.query);
    const mon = monitoringOf(ctx);
    const obj = await svc.getReservation(ctx, req.user, req.params.name);
    const row = await ctx.db.reservation.findUnique({ where: { id: obj.metadata.uid }, select: { id: true, nodeId: true, phase: true } });
    if (!row?.nodeId || !isStarted(row.phase)) {
      throw new BerthError('Conflict', `reservation "${req.params.name}" has no container (phase ${row?.phase ?? 'unknown'})`);
    }
    reply.hijack();
    const res = reply.raw;
    let headersSent = false;
    const head = () => {
      if (headersSent) return;
      headersSent = true;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    };
    let finished = false;
    // Set once the stream is open: a node that is not connected finishes the answer before that.
    let untrack = () => {};
    const finish = (error?: string) => {
      if (finished) return;
      finished = true;
      untrack();
      if (!headersSent && error) {
        const err = new BerthError('Unavailable', `logs unavailable: ${error}`);
        res.writeHead(err.httpStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify(err.toBody()));
        return;
      }
      head();
      res.end();
    };
    const cancel = mon.logs.stream(row.nodeId, row.id, opts, {
      data: (d) => {
        head();
        res.write(d);
      },
      end: (e) => finish(e),
    });
    if (!cancel) {
      finish(`node of reservation "${req.params.name}" is not connected`);
      return reply;
    }
    // Send headers at once for a follow so clients see the stream open before the first line.
    if (opts.follow) head();
    untrack = trackStream(ctx, () => {
      cancel();
      finish();
      res.destroy();
    });
    res.on('close', () => {
      cancel();
      finish();
    });
    return reply;
  });

  api.get('/containers', async (req) => {
    svc.requireAdmin(req.user, 'nodes');
    return { apiVersion: 'berth/v1', kind: 'ContainerList', items: await listContainers(ctx.db, monitoringOf(ctx)) };
  });

  api.get<{ Params: { name: string }; Querystring: { range?: string } }>('/nodes/:name/metrics', async (req) => {
    const range = req.query.range ?? '1h';
    const rangeMs = RANGES[range];
    if (rangeMs === undefined) throw new BerthError('Invalid', `range: must be one of ${Object.keys(RANGES).join(', ')}`, 'range');
    // A node's load is the sum of every tenant's: for admins only.
    if (req.user.role !== 'admin') throw new BerthError('Forbidden', 'only admins can read node metrics');
    const node = await ctx.db.node.findUnique({ where: { name: req.params.name } });
    if (!node) throw new BerthError('NotFound', `node "${req.params.name}" not found`);
    return { node: node.name, range, samples: await nodeHistory(ctx.db, node.id, rangeMs, ctx.clock.now(), ctx.monitoring?.openMetrics?.(node.id)) };
  });
}

/**
 * Prometheus text format at /metrics. Without a token: counts, node and controller series, no
 * tenant's names. With an admin's bearer token: also the per-reservation container series. A
 * token that is sent must be valid (401 otherwise); a customer's gets the anonymous view.
 */
export function registerMetricsEndpoint(app: FastifyInstance, ctx: svc.ServiceContext): void {
  app.addHook('preClose', async () => {
    for (const end of [...streamsOf(ctx)]) end();
  });
  let registries: ControllerRegistries | undefined;
  app.get('/metrics', async (req, reply) => {
    registries ??= controllerRegistries(ctx.db, ctx.clock, monitoringOf(ctx));
    const header = req.headers.authorization;
    const admin = header !== undefined && (await authenticate(ctx.db, header, ctx.clock.now(), ctx.principals)).role === 'admin';
    const registry = admin ? registries.admin : registries.anonymous;
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
