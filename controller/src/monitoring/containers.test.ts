import { describe, expect, it } from 'vitest';
import { measuredUsage } from './containers.ts';

describe('measuredUsage', () => {
  it('is nothing until the node has measured the container (proto3 sends 0 for both until then)', () => {
    expect(measuredUsage(undefined)).toBeUndefined();
    expect(measuredUsage({ cpuPercent: 0, memoryBytes: 0 })).toBeUndefined();
    expect(measuredUsage({})).toBeUndefined();
  });

  it("passes a measurement on, an idle container's 0 % CPU included", () => {
    expect(measuredUsage({ cpuPercent: 0, memoryBytes: 372736 })).toEqual({ cpuPercent: 0, memoryBytes: 372736 });
    expect(measuredUsage({ cpuPercent: 48.5, memoryBytes: 2 ** 20 })).toEqual({ cpuPercent: 48.5, memoryBytes: 2 ** 20 });
  });
});
