import type { NodeMetrics } from '@berth/proto';

export interface HostSnapshot extends NodeMetrics {
  cores: number;
}

/** Port to the machine the agent runs on. */
export interface HostStats {
  read(): Promise<HostSnapshot>;
}

export function toNodeMetrics(s: HostSnapshot): NodeMetrics {
  return {
    memoryTotalBytes: s.memoryTotalBytes,
    memoryFreeBytes: s.memoryFreeBytes,
    load1: s.load1,
    load5: s.load5,
    load15: s.load15,
    uptimeSeconds: s.uptimeSeconds,
    cpuPercent: s.cpuPercent ?? 0,
  };
}
