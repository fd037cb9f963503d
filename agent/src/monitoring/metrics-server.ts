// The agent's small HTTP listener: Prometheus /metrics, /healthz and /readyz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import type { ContainerReport } from '@berth/proto';
import type { HostSnapshot } from '../metrics/host-stats.ts';

export interface AgentMetricsSource {
  nodeName: string;
  host(): Promise<HostSnapshot>;
  report(): ContainerReport | undefined;
  connected(): boolean;
}

/** A registry of its own (not prom-client's global one) so several agents can share a process. */
export function agentRegistry(src: AgentMetricsSource): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'berth_agent_' });
  const node = src.nodeName;
  new client.Gauge({
    name: 'berth_agent_connected',
    help: '1 when the agent is registered with the controller',
    registers: [registry],
    collect() {
      this.set(src.connected() ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'berth_node_memory_bytes',
    help: 'Node memory by kind (total, free)',
    labelNames: ['node', 'kind'],
    registers: [registry],
    async collect() {
      const h = await src.host();
      this.set({ node, kind: 'total' }, h.memoryTotalBytes);
      this.set({ node, kind: 'free' }, h.memoryFreeBytes);
    },
  });
  new client.Gauge({
    name: 'berth_node_load1',
    help: 'Node 1-minute load average',
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.set({ node }, (await src.host()).load1);
    },
  });
  const containers = () => src.report()?.containers ?? [];
  new client.Gauge({
    name: 'berth_agent_containers',
    help: 'Berth containers on this node by state',
    labelNames: ['node', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of containers()) this.inc({ node, state: c.state });
    },
  });
  new client.Gauge({
    name: 'berth_container_cpu_percent',
    help: 'Container CPU use, 100 = one core',
    labelNames: ['node', 'reservation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of containers()) if (c.cpuPercent !== undefined) this.set({ node, reservation: c.reservationId }, c.cpuPercent);
    },
  });
  new client.Gauge({
    name: 'berth_container_memory_bytes',
    help: 'Container memory in use',
    labelNames: ['node', 'reservation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of containers()) if (c.memoryBytes !== undefined) this.set({ node, reservation: c.reservationId }, c.memoryBytes);
    },
  });
  new client.Gauge({
    name: 'berth_container_restarts',
    help: 'Container restart count',
    labelNames: ['node', 'reservation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of containers()) this.set({ node, reservation: c.reservationId }, c.restartCount);
    },
  });
  return registry;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(src: AgentMetricsSource, host: string, port: number): Promise<MetricsServer> {
  const registry = agentRegistry(src);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return src.connected() ? json(200, { status: 'ready' }) : json(503, { status: 'connecting' });
    if (path !== '/metrics') return json(404, { error: 'not found' });
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (err: unknown) => json(500, { error: String(err) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
