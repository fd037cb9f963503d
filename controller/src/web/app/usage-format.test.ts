import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpuPercent } from './usage-format.ts';

describe('formatBytes', () => {
  it("writes an idle container's few hundred KiB as such, not as 0 MiB", () => {
    expect(formatBytes(372736)).toBe('364 KiB');
    expect(formatBytes(5.2 * 1048576)).toBe('5.2 MiB');
    expect(formatBytes(300 * 1048576)).toBe('300 MiB');
    expect(formatBytes(1.5 * 1073741824)).toBe('1.5 GiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(0)).toBe('0 B');
  });
});

describe('formatCpuPercent', () => {
  it('tells a little use from none', () => {
    expect(formatCpuPercent(0)).toBe('0%');
    expect(formatCpuPercent(0.01)).toBe('<0.1%');
    expect(formatCpuPercent(0.25)).toBe('0.3%');
    expect(formatCpuPercent(99.6)).toBe('100%');
  });
});
