import { describe, expect, it } from 'vitest';
import { DAY, foldSample, HOUR, MINUTE, planRetention, type StoredBucket } from './metrics-history.ts';

// A controlled clock: every instant below is derived from this one.
const NOW = Date.UTC(2026, 5, 20, 12, 0, 0);
const policy = { minuteRetentionMs: 15 * DAY, hourRetentionMs: 90 * DAY };

let nextId = 1;
function minute(at: number, cpu: number, used = 1000, nodeId = 'n1', samples = 6): StoredBucket {
  return { id: nextId++, nodeId, resolution: 60, at, samples, load1: cpu / 100, cpuPercent: cpu, memoryTotalMiB: 4000, memoryUsedMiB: used };
}

describe('foldSample', () => {
  it('starts a 1-minute bucket at the start of the sample minute', () => {
    const b = foldSample(undefined, { nodeId: 'n1', at: NOW + 42_000, load1: 1, cpuPercent: 20, memoryTotalMiB: 4000, memoryUsedMiB: 1000 });
    expect(b).toMatchObject({ resolution: 60, at: NOW, samples: 1, cpuPercent: 20 });
  });

  it('averages samples of the same minute weighted by count', () => {
    let b = foldSample(undefined, { nodeId: 'n1', at: NOW, load1: 1, cpuPercent: 10, memoryTotalMiB: 4000, memoryUsedMiB: 1000 });
    b = foldSample(b, { nodeId: 'n1', at: NOW + 10_000, load1: 2, cpuPercent: 40, memoryTotalMiB: 4000, memoryUsedMiB: 2000 });
    b = foldSample(b, { nodeId: 'n1', at: NOW + 20_000, load1: 3, cpuPercent: 70, memoryTotalMiB: 4000, memoryUsedMiB: 3000 });
    expect(b).toMatchObject({ samples: 3, cpuPercent: 40, load1: 2, memoryUsedMiB: 2000, at: NOW });
  });
});

describe('planRetention', () => {
  it('keeps 1-minute buckets younger than the minute window untouched', () => {
    const rows = [minute(NOW - MINUTE, 10), minute(NOW - 15 * DAY + MINUTE, 10)];
    expect(planRetention(rows, NOW, policy)).toEqual({ deleteIds: [], upsert: [] });
  });

  it('folds minutes older than 15 days into their hour with a weighted mean, and deletes them', () => {
    const hourAt = Math.floor((NOW - 16 * DAY) / HOUR) * HOUR;
    const a = minute(hourAt, 10, 1000, 'n1', 6);
    const b = minute(hourAt + 5 * MINUTE, 40, 2000, 'n1', 2);
    const other = minute(hourAt + HOUR, 90, 3000, 'n2', 6);
    const plan = planRetention([a, b, other], NOW, policy);
    expect(plan.deleteIds).toEqual([a.id, b.id, other.id]);
    expect(plan.upsert).toEqual([
      { nodeId: 'n1', resolution: 3600, at: hourAt, samples: 8, load1: 0.175, cpuPercent: 17.5, memoryTotalMiB: 4000, memoryUsedMiB: 1250 },
      { nodeId: 'n2', resolution: 3600, at: hourAt + HOUR, samples: 6, load1: 0.9, cpuPercent: 90, memoryTotalMiB: 4000, memoryUsedMiB: 3000 },
    ]);
  });

  it('merges into an hour bucket already stored, so compacting twice counts nothing twice', () => {
    const hourAt = Math.floor((NOW - 20 * DAY) / HOUR) * HOUR;
    const first = planRetention([minute(hourAt, 10, 1000, 'n1', 6)], NOW, policy);
    const stored: StoredBucket = { id: 999, ...first.upsert[0] };
    const late = minute(hourAt + 30 * MINUTE, 70, 1000, 'n1', 6);
    const second = planRetention([stored, late], NOW, policy);
    expect(second.upsert).toEqual([{ ...first.upsert[0], samples: 12, cpuPercent: 40, load1: 0.4 }]);
    expect(second.deleteIds).toEqual([late.id]);
    // converged: only the hour row is left, and planning again changes nothing
    expect(planRetention([{ id: 999, ...second.upsert[0] }], NOW, policy)).toEqual({ deleteIds: [], upsert: [] });
  });

  it('drops hour buckets older than the hour window, and minutes that would fold into one', () => {
    const old = NOW - 91 * DAY;
    const hour: StoredBucket = { ...minute(Math.floor(old / HOUR) * HOUR, 5), resolution: 3600 };
    const oldMinute = minute(old, 5);
    const plan = planRetention([hour, oldMinute], NOW, policy);
    expect(plan.deleteIds).toEqual([hour.id, oldMinute.id].sort((x, y) => x - y));
    expect(plan.upsert).toEqual([]);
  });

  it('moves a bucket across the boundary as the clock advances', () => {
    const at = NOW - 15 * DAY;
    const row = minute(at, 30);
    expect(planRetention([row], NOW - MINUTE, policy).deleteIds).toEqual([]);
    expect(planRetention([row], NOW + MINUTE, policy).deleteIds).toEqual([row.id]);
  });
});
