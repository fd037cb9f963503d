import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { HostSnapshot, HostStats } from './host-stats.ts';

export class SystemHostStats implements HostStats {
  private lastCpu = cpuTimes();

  async read(): Promise<HostSnapshot> {
    // Logical CPUs, the unit container CPU limits are in. Not si.cpu(): it runs lscpu and
    // dmidecode, external commands with no time limit, on the path to registering.
    const cores = os.availableParallelism();
    const mem = await memory();
    const [load1, load5, load15] = os.loadavg();
    const cpu = cpuTimes();
    const total = cpu.total - this.lastCpu.total;
    const cpuPercent = total > 0 ? Math.round((1000 * (cpu.busy - this.lastCpu.busy)) / total) / 10 : 0;
    this.lastCpu = cpu;
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
      cpuPercent,
    };
  }
}

/**
 * Total and available memory from /proc/meminfo (what systeminformation's mem() read, without the
 * ~10 MB that package costs the agent in memory). Where it cannot be read, Node's own figures:
 * free memory then excludes reclaimable page cache.
 */
async function memory(): Promise<{ total: number; available: number }> {
  const text = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  return parseMeminfo(text) ?? { total: os.totalmem(), available: os.freemem() };
}

/** MemTotal and MemAvailable in bytes, or undefined when either is missing. */
export function parseMeminfo(text: string): { total: number; available: number } | undefined {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  return total === undefined || available === undefined ? undefined : { total, available };
}

/** Busy and total CPU time over all cores since boot; the difference of two readings is the usage. */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}
