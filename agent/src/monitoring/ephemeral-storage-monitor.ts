// Measures each running container's disk use on the node (its writable layer, as the engine
// sizes it, plus its local volume) on a timer, and stops a container past its limit before it
// fills the disk its neighbours share.
import type Docker from 'dockerode';
import type pino from 'pino';
import type { ContainerRuntime, ObservedContainer } from '../runtime/container-runtime.ts';
import { runCommand } from '../run-command.ts';
import { evictionMessage, overLimit, type DiskSample, type EphemeralStorageView } from './ephemeral-storage.ts';
import type { EvictionStore } from './evictions.ts';

export interface EphemeralStorageMonitorOptions {
  docker: Docker;
  runtime: Pick<ContainerRuntime, 'listManaged' | 'stop'>;
  evictions: EvictionStore;
  intervalMs?: number;
  /** Called after a container was stopped, so the next report says so at once. */
  onEvicted?: () => void;
  log?: pino.Logger;
}

export class EphemeralStorageMonitor implements EphemeralStorageView {
  private readonly used = new Map<string, number>();
  private readonly log?: pino.Logger;
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(private readonly opts: EphemeralStorageMonitorOptions) {
    this.log = opts.log?.child({ component: 'ephemeral-storage' });
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  evicted(containerId: string): string | undefined {
    return this.opts.evictions.message(containerId);
  }

  usedBytes(containerId: string): number | undefined {
    return this.used.get(containerId);
  }

  /** One measurement of every running container; overlapping rounds are skipped. */
  sample(): Promise<void> {
    this.round ??= this.measureAll().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async measureAll(): Promise<void> {
    try {
      const containers = await this.opts.runtime.listManaged();
      await this.opts.evictions.retain(new Set(containers.map((c) => c.id)));
      const samples: DiskSample[] = [];
      // One at a time: sizing walks the files, and parallel walks only fight over the disk.
      for (const c of containers.filter((x) => x.state === 'running' && !this.evicted(x.id))) {
        const sample = await this.measure(c).catch((err: unknown) => {
          this.log?.debug({ reservation: c.reservationId, err: String(err) }, 'disk use unavailable');
          return undefined;
        });
        if (sample) samples.push(sample);
      }
      this.used.clear();
      for (const s of samples) this.used.set(s.containerId, s.usedBytes);
      for (const s of overLimit(samples)) await this.evict(s);
    } catch (err) {
      this.log?.warn({ err: String(err) }, 'disk use round failed');
    }
  }

  private async measure(c: ObservedContainer): Promise<DiskSample> {
    const info = (await this.opts.docker.getContainer(c.id).inspect({ size: true } as never)) as unknown as {
      SizeRw?: number;
      Mounts?: Array<{ Type?: string; Source?: string }>;
    };
    let usedBytes = info.SizeRw ?? 0;
    // Remote data (bind of an sshfs mount) lives on the storage node, not on this disk.
    for (const m of info.Mounts ?? []) if (m.Type === 'volume' && m.Source) usedBytes += await diskUsage(m.Source);
    return { containerId: c.id, reservationId: c.reservationId, usedBytes, limitBytes: c.ephemeralStorageLimitBytes };
  }

  /** Recorded before the stop, so the converge pass the stop triggers does not start it again. */
  private async evict(s: DiskSample): Promise<void> {
    const message = evictionMessage(s);
    await this.opts.evictions.record(s.containerId, message);
    this.log?.warn(
      { reservation: s.reservationId, container: s.containerId, usedBytes: s.usedBytes, limitBytes: s.limitBytes },
      'container over its ephemeral storage limit, stopping it',
    );
    await this.opts.runtime
      .stop(s.containerId)
      .catch((err: unknown) => this.log?.error({ reservation: s.reservationId, err: String(err) }, 'stopping the container failed'));
    this.opts.onEvicted?.();
  }
}

/** Bytes the directory takes on disk (du, staying on its filesystem). */
async function diskUsage(dir: string): Promise<number> {
  const out = await runCommand('du', ['-s', '-x', '-B1', dir]);
  return Number(out.split(/\s/)[0]) || 0;
}
