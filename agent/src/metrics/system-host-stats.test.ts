import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { toNodeMetrics } from './host-stats.ts';
import { SystemHostStats } from './system-host-stats.ts';

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
});
