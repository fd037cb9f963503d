// CPU and memory use of this node's containers from the engine's stats, sampled on a timer and
// attached to every container report, so reports never wait on the (slow) stats call.
import type Docker from 'dockerode';
import type pino from 'pino';
import type { ContainerReport } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';

export interface Usage {
  cpuPercent: number;
  memoryBytes: number;
}

interface StatsLike {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** Pure: docker's own formula (as `docker stats` prints it), 100 = one full core. */
export function usageFromStats(s: StatsLike): Usage {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || 1;
  const hasPrevious = s.precpu_stats?.system_cpu_usage !== undefined;
  const cpuPercent = hasPrevious && cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const usage = s.memory_stats?.usage ?? 0;
  // Page cache is reclaimable; `docker stats` subtracts it too (cgroup v1 `cache`, v2 `inactive_file`).
  const stats = s.memory_stats?.stats ?? {};
  const cache = stats.inactive_file ?? stats.total_inactive_file ?? stats.cache ?? 0;
  return { cpuPercent: Math.round(cpuPercent * 100) / 100, memoryBytes: Math.max(0, usage - cache) };
}

/** Pure: the report with the latest usage of each running container. */
export function withUsage(report: ContainerReport, usage: ReadonlyMap<string, Usage>): ContainerReport {
  return {
    ...report,
    containers: report.containers.map((c) => {
      const u = c.state === 'running' ? usage.get(c.reservationId) : undefined;
      return u ? { ...c, ...u } : c;
    }),
  };
}

export class ContainerUsageSampler {
  private readonly usage = new Map<string, Usage>();
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;

  constructor(
    private readonly docker: Docker,
    private readonly list: () => Promise<ObservedContainer[]>,
    private readonly intervalMs = 10_000,
    private readonly log?: pino.Logger,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  current(): ReadonlyMap<string, Usage> {
    return this.usage;
  }

  /** One round of stats for every running container; overlapping rounds are skipped. */
  sample(): Promise<void> {
    this.sampling ??= this.round().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async round(): Promise<void> {
    try {
      const running = (await this.list()).filter((c) => c.state === 'running');
      const seen = new Set<string>();
      await Promise.all(
        running.map(async (c) => {
          try {
            // stream:false waits for a second sample so precpu_stats is filled in (about 1 s).
            const stats = (await this.docker.getContainer(c.id).stats({ stream: false })) as unknown as StatsLike;
            this.usage.set(c.reservationId, usageFromStats(stats));
            seen.add(c.reservationId);
          } catch (err) {
            this.log?.debug({ reservation: c.reservationId, err: String(err) }, 'container stats unavailable');
          }
        }),
      );
      for (const id of [...this.usage.keys()]) if (!seen.has(id)) this.usage.delete(id);
    } catch (err) {
      this.log?.warn({ err: String(err) }, 'container stats round failed');
    }
  }
}
