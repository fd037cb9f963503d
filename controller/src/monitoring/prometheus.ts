// The controller's Prometheus registries: cluster state read from the store at scrape time.
// Series labelled with a tenant's names (reservation) are kept apart: /metrics serves them to an
// admin token only, since an anonymous scraper must not learn who runs what.
import client from 'prom-client';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import { isNodeReady, PHASES, STARTED_PHASES } from '../domain/index.ts';
import type { Monitoring } from './monitoring.ts';
import { withLiveHeartbeat } from './live-heartbeat.ts';
import { measuredUsage } from './containers.ts';

type RegistryMonitoring = Pick<Monitoring, 'observed' | 'connectedNodeIds'> & Partial<Pick<Monitoring, 'live' | 'loop' | 'queues' | 'storeStatements'>>;

export interface ControllerRegistries {
  /** Counts, node and controller series: nothing that names a tenant's objects. */
  anonymous: client.Registry;
  /** Everything, with the per-reservation container series. */
  admin: client.Registry;
}

export function controllerRegistries(db: Db, clock: Clock, mon: RegistryMonitoring): ControllerRegistries {
  const anonymous = controllerRegistry(db, clock, mon);
  return { anonymous, admin: client.Registry.merge([anonymous, tenantRegistry(db, mon)]) };
}

/** The series without tenant names. */
export function controllerRegistry(db: Db, clock: Clock, mon: RegistryMonitoring): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'berth_controller_' });
  // The heartbeat held in memory is newer than the stored copy (stored every half grace period).
  const nodes = async () => (await db.node.findMany()).map((n) => withLiveHeartbeat(n, mon.live?.(n.id)));
  const loop = mon.loop;
  if (loop) {
    const delays = { p99: 0, max: 0, worstEver: 0 };
    new client.Gauge({
      name: 'berth_controller_event_loop_delay_seconds',
      help: 'Event-loop delay since the previous scrape (p99, max) and the worst seen since start',
      labelNames: ['stat'],
      registers: [registry],
      collect() {
        Object.assign(delays, loop.delays());
        this.set({ stat: 'p99' }, delays.p99);
        this.set({ stat: 'max' }, delays.max);
        this.set({ stat: 'worst' }, delays.worstEver);
      },
    });
    new client.Counter({
      name: 'berth_controller_stalls_total',
      help: 'Times the controller found itself stalled (heartbeat ages restarted)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(loop.stalls);
      },
    });
  }
  const storeStatements = mon.storeStatements;
  if (storeStatements) {
    new client.Counter({
      name: 'berth_controller_store_statements_total',
      help: 'SQL statements sent to the store (PostgreSQL or SQLite) since start, in and out of transactions',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(storeStatements());
      },
    });
  }
  const queues = mon.queues;
  if (queues) {
    new client.Gauge({
      name: 'berth_workqueue_depth',
      help: 'Keys waiting in each reconcile queue',
      labelNames: ['queue'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, q] of Object.entries(queues() ?? {})) this.set({ queue: name }, q.depth);
      },
    });
    new client.Gauge({
      name: 'berth_workqueue_reconciles',
      help: 'Reconciles run and failed per queue since start',
      labelNames: ['queue', 'result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, q] of Object.entries(queues() ?? {})) {
          this.set({ queue: name, result: 'processed' }, q.stats.processed);
          this.set({ queue: name, result: 'failed' }, q.stats.failed);
        }
      },
    });
  }
  new client.Gauge({
    name: 'berth_nodes',
    help: 'Nodes by readiness and cordon state',
    labelNames: ['ready', 'cordoned'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const ready of ['true', 'false']) for (const cordoned of ['true', 'false']) this.set({ ready, cordoned }, 0);
      for (const n of await nodes()) this.inc({ ready: String(isNodeReady(n.status)), cordoned: String(n.cordoned) });
    },
  });
  new client.Gauge({
    name: 'berth_agents_connected',
    help: 'Agents with an open stream to this controller',
    registers: [registry],
    collect() {
      this.set(mon.connectedNodeIds().length);
    },
  });
  new client.Gauge({
    name: 'berth_reservations',
    help: 'Reservations by phase',
    labelNames: ['phase'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const phase of PHASES) this.set({ phase }, 0);
      for (const g of await db.reservation.groupBy({ by: ['phase'], _count: { _all: true } })) this.set({ phase: g.phase }, g._count._all);
    },
  });
  new client.Gauge({
    name: 'berth_node_memory_bytes',
    help: 'Node memory by kind (total, free as last reported)',
    labelNames: ['node', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of await nodes()) {
        const m = (n.metrics ?? {}) as Record<string, number>;
        this.set({ node: n.name, kind: 'total' }, m.memoryTotalBytes ?? n.memoryMiB * 1048576);
        if (m.memoryFreeBytes !== undefined) this.set({ node: n.name, kind: 'free' }, m.memoryFreeBytes);
      }
    },
  });
  const perNode = (name: string, help: string, value: (m: Record<string, number>, n: { lastHeartbeat: Date | null }) => number | undefined) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const n of await nodes()) {
          const v = value((n.metrics ?? {}) as Record<string, number>, n);
          if (v !== undefined) this.set({ node: n.name }, v);
        }
      },
    });
  perNode('berth_node_load1', 'Node 1-minute load average', (m) => m.load1);
  perNode('berth_node_cpu_percent', 'Node CPU busy percent', (m) => m.cpuPercent);
  perNode('berth_node_uptime_seconds', 'Node uptime', (m) => m.uptimeSeconds);
  perNode('berth_node_heartbeat_age_seconds', 'Seconds since the node last heartbeat', (_m, n) =>
    n.lastHeartbeat ? (clock.now() - n.lastHeartbeat.getTime()) / 1000 : undefined,
  );
  new client.Gauge({
    name: 'berth_containers',
    help: 'Containers reported by agents, by node, state and health',
    labelNames: ['node', 'state', 'health'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of await nodes()) for (const c of mon.observed(n.id)?.values() ?? []) this.inc({ node: n.name, state: c.state, health: c.health || 'none' });
    },
  });
  return registry;
}

/** Per-container series labelled with the reservation's name. */
function tenantRegistry(db: Db, mon: Pick<Monitoring, 'observed'>): client.Registry {
  const registry = new client.Registry();
  const perContainer = (name: string, help: string, pick: (c: { cpuPercent?: number; memoryBytes?: number; restartCount: number }) => number | undefined) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['node', 'reservation'],
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await db.reservation.findMany({ where: { phase: { in: [...STARTED_PHASES] } }, include: { node: true } });
        for (const r of rows) {
          const c = r.nodeId ? mon.observed(r.nodeId)?.get(r.id) : undefined;
          const v = c ? pick(c) : undefined;
          if (v !== undefined) this.set({ node: r.node?.name ?? '', reservation: r.name }, v);
        }
      },
    });
  perContainer('berth_container_cpu_percent', 'Container CPU use, 100 = one core', (c) => measuredUsage(c)?.cpuPercent);
  perContainer('berth_container_memory_bytes', 'Container memory in use', (c) => measuredUsage(c)?.memoryBytes);
  perContainer('berth_container_restarts', 'Container restart count', (c) => c.restartCount);
  return registry;
}
