import os from 'node:os';
import si from 'systeminformation';
import type { HostSnapshot, HostStats } from './host-stats.ts';

export class SystemHostStats implements HostStats {
  // si.cpu() takes a few hundred ms and the core count cannot change while we run.
  private cores: Promise<number> | undefined;

  async read(): Promise<HostSnapshot> {
    this.cores ??= si.cpu().then(
      (cpu) => cpu.cores || os.availableParallelism(),
      () => os.availableParallelism(),
    );
    const [cores, mem] = await Promise.all([this.cores, si.mem()]);
    const [load1, load5, load15] = os.loadavg();
    return {
      cores,
      memoryTotalBytes: mem.total,
      // `free` excludes reclaimable page cache; `available` is what a new container can really get.
      memoryFreeBytes: mem.available,
      load1,
      load5,
      load15,
      // si.time() spends ~100 ms on timezone lookups we do not need; the uptime is the same.
      uptimeSeconds: os.uptime(),
    };
  }
}
