import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveControllerSettings } from './run-controller.ts';

describe('resolveControllerSettings: scheduler and node lifecycle timing', () => {
  it('defaults to the minimum RAM ratio strategy and a 20 s grace', () => {
    const s = resolveControllerSettings({}, {});
    expect(s).toMatchObject({ strategy: 'min-ram-ratio', nodeGraceMs: 20_000, heartbeatIntervalMs: 5_000 });
  });

  it('takes flags over env over the config file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-ctl-cfg-'));
    try {
      const file = path.join(dir, 'controller.yaml');
      writeFileSync(file, 'scheduler: spread\nnodeGrace: 30s\nheartbeatInterval: 2s\n');
      expect(resolveControllerSettings({ config: file }, {})).toMatchObject({ strategy: 'spread', nodeGraceMs: 30_000, heartbeatIntervalMs: 2_000 });
      expect(resolveControllerSettings({ config: file }, { BERTH_SCHEDULER: 'binpack', BERTH_NODE_GRACE: '10s' })).toMatchObject({
        strategy: 'binpack',
        nodeGraceMs: 10_000,
      });
      expect(resolveControllerSettings({ config: file, scheduler: 'min-ram-ratio' }, { BERTH_SCHEDULER: 'binpack' })).toMatchObject({
        strategy: 'min-ram-ratio',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a heartbeat that fits several times into a short grace period', () => {
    expect(resolveControllerSettings({ nodeGrace: '3s' }, {})).toMatchObject({ nodeGraceMs: 3_000, heartbeatIntervalMs: 750 });
  });

  it('rejects an unknown strategy and a malformed duration', () => {
    expect(() => resolveControllerSettings({ scheduler: 'random' }, {})).toThrow(/scheduler: must be one of min-ram-ratio, binpack, spread/);
    expect(() => resolveControllerSettings({ nodeGrace: 'soon' }, {})).toThrow(/nodeGrace: must be a duration/);
  });

  it('bounds heap growth by default, takes BERTH_HEAP_GROWTH, and names a bad value', () => {
    expect(resolveControllerSettings({}, {}).heapGrowthPercent).toBe(100);
    expect(resolveControllerSettings({}, { BERTH_HEAP_GROWTH: '0' }).heapGrowthPercent).toBe(0);
    for (const bad of ['-5', '12.5', '301', 'lots']) {
      expect(() => resolveControllerSettings({}, { BERTH_HEAP_GROWTH: bad })).toThrow(
        `BERTH_HEAP_GROWTH: must be a whole percentage from 0 (V8 decides) to 300, got "${bad}"`,
      );
    }
  });
});
