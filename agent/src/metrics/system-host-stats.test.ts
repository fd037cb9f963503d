import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { toNodeMetrics } from './host-stats.ts';
import { parseMeminfo, SystemHostStats } from './system-host-stats.ts';

describe('SystemHostStats', () => {
  it('reads plausible capacity and usage from this machine', async () => {
    const s = await new SystemHostStats().read();
    expect(s.cores).toBeGreaterThan(0);
    expect(s.memoryTotalBytes).toBe(os.totalmem());
    expect(s.memoryFreeBytes).toBeGreaterThan(0);
    expect(s.memoryFreeBytes).toBeLessThanOrEqual(s.memoryTotalBytes);
    expect(s.load1).toBeGreaterThanOrEqual(0);
    expect(s.uptimeSeconds).toBeGreaterThan(0);
    expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(s.cpuPercent).toBeLessThanOrEqual(100);
    expect(Object.keys(toNodeMetrics(s)).sort()).toEqual(['cpuPercent', 'load1', 'load15', 'load5', 'memoryFreeBytes', 'memoryTotalBytes', 'uptimeSeconds']);
  });

  it('reads total and available memory from /proc/meminfo in bytes, and nothing from a text without both', () => {
    const meminfo = 'MemTotal:       24683624 kB\nMemFree:        19077760 kB\nMemAvailable:   21981768 kB\nBuffers:          100 kB\n';
    expect(parseMeminfo(meminfo)).toEqual({ total: 24683624 * 1024, available: 21981768 * 1024 });
    expect(parseMeminfo('MemTotal:       24683624 kB\nMemFree:        19077760 kB\n')).toBeUndefined();
    expect(parseMeminfo('')).toBeUndefined();
  });
});
