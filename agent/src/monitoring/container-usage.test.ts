import { describe, expect, it } from 'vitest';
import { demuxFrames } from './container-logs.ts';
import { usageFromStats, withUsage } from './container-usage.ts';

describe('usageFromStats', () => {
  it('computes CPU like docker stats (100 = one core) and subtracts page cache from memory', () => {
    const u = usageFromStats({
      cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 20_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
      memory_stats: { usage: 50 * 1048576, stats: { inactive_file: 10 * 1048576 } },
    });
    expect(u).toEqual({ cpuPercent: 40, memoryBytes: 40 * 1048576 });
  });

  it('reports zero CPU when there is no previous sample', () => {
    expect(usageFromStats({ cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 5 }, memory_stats: { usage: 7 } })).toEqual({
      cpuPercent: 0,
      memoryBytes: 7,
    });
  });
});

describe('withUsage', () => {
  it('attaches usage to running containers only', () => {
    const base = { generation: 1, containerId: 'x', health: 'none', restartCount: 0, message: '', startedAtMs: 0, ports: [] };
    const report = {
      appliedVersion: 3,
      containers: [
        { ...base, reservationId: 'a', state: 'running' },
        { ...base, reservationId: 'b', state: 'exited' },
      ],
    };
    const out = withUsage(
      report,
      new Map([
        ['a', { cpuPercent: 5, memoryBytes: 9 }],
        ['b', { cpuPercent: 1, memoryBytes: 1 }],
      ]),
    );
    expect(out.containers[0]).toMatchObject({ cpuPercent: 5, memoryBytes: 9 });
    expect(out.containers[1].cpuPercent).toBeUndefined();
  });
});

describe('demuxFrames', () => {
  it('splits docker multiplexed frames and keeps an incomplete tail', () => {
    const frame = (stream: number, text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const whole = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'partial')]);
    const { payloads, rest } = demuxFrames(whole.subarray(0, whole.length - 3));
    expect(payloads.map(String)).toEqual(['out\n', 'err\n']);
    expect(rest.length).toBe(8 + 'partial'.length - 3);
  });
});
