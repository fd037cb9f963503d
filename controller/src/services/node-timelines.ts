// Per-node timelines for the admins' Gantt view: each node's placed reservations over a range
// (name, owner, image, window, size) and its free cores and memory as steps. Read from the store
// with the rule admission's index is loaded by (placed and not ended), so the free steps are the
// room admission sees.
import { z } from 'zod';
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { isNodeReady, TERMINAL_PHASES } from '../domain/index.ts';
import { freeSteps } from '../scheduler/index.ts';
import type { ServiceContext } from './context.ts';
import { DEFAULT_RANGE_MS, MAX_RANGE_MS, rfc3339 } from './availability.ts';

const querySchema = z.strictObject({ from: rfc3339.optional(), until: rfc3339.optional() });

export async function nodeTimelines(ctx: ServiceContext, user: User, raw: unknown) {
  if (user.role !== 'admin') throw new BerthError('Forbidden', 'only admins can see node timelines');
  const q = parseOrInvalid(querySchema, raw ?? {}, { subject: 'query' });
  const from = q.from ? Date.parse(q.from) : ctx.clock.now();
  const until = q.until ? Date.parse(q.until) : from + DEFAULT_RANGE_MS;
  if (until <= from) throw new BerthError('Invalid', 'until: must be after from', 'until');
  if (until - from > MAX_RANGE_MS) throw new BerthError('Invalid', 'until: from..until may span at most 30d', 'until');
  const [nodes, placed] = await Promise.all([
    ctx.db.node.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, cores: true, memoryMiB: true, cordoned: true, status: true } }),
    ctx.db.reservation.findMany({
      where: { phase: { notIn: [...TERMINAL_PHASES] }, nodeId: { not: null }, startAt: { lt: new Date(until) }, endAt: { gt: new Date(from) } },
      select: {
        name: true,
        nodeId: true,
        imageName: true,
        phase: true,
        startAt: true,
        endAt: true,
        milliCores: true,
        memoryMiB: true,
        owner: { select: { username: true } },
      },
      orderBy: [{ startAt: 'asc' }, { name: 'asc' }],
    }),
  ]);
  const iso = (t: number | Date) => new Date(t).toISOString();
  const items = nodes.map((n) => {
    const mine = placed.filter((r) => r.nodeId === n.id);
    const windows = mine.map((r) => ({ start: r.startAt.getTime(), end: r.endAt.getTime(), milliCores: r.milliCores, memoryMiB: r.memoryMiB }));
    return {
      name: n.name,
      cores: n.cores,
      memory: `${n.memoryMiB}Mi`,
      ready: isNodeReady(n.status),
      cordoned: n.cordoned,
      reservations: mine.map((r) => ({
        name: r.name,
        owner: r.owner.username,
        image: r.imageName,
        phase: r.phase,
        start: iso(r.startAt),
        end: iso(r.endAt),
        cores: r.milliCores / 1000,
        memory: `${r.memoryMiB}Mi`,
      })),
      free: freeSteps({ milliCores: n.cores * 1000, memoryMiB: n.memoryMiB }, windows, { start: from, end: until }).map((s) => ({
        start: iso(s.start),
        end: iso(s.end),
        cores: s.milliCores / 1000,
        memory: `${s.memoryMiB}Mi`,
      })),
    };
  });
  return { apiVersion: 'berth/v1', kind: 'NodeTimelineList', range: { from: iso(from), until: iso(until) }, items };
}
