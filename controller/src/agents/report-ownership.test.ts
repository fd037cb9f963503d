import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '@berth/proto';
import { afterPush, learn, MAX_LOOKUPS_PER_REPORT, splitReport } from './report-ownership.ts';
import { LogThrottle } from './log-throttle.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const status = (reservationId: string) => ({ reservationId }) as ContainerStatus;

describe('report ownership', () => {
  it('accepts owned ids, rejects known-foreign and non-UUID ids, and asks about the rest', () => {
    const o = { owned: new Set([id(1)]), foreign: new Set([id(2)]) };
    const split = splitReport([status(id(1)), status(id(2)), status(id(3)), status('../etc')], o);
    expect(split.accepted.map((c) => c.reservationId)).toEqual([id(1)]);
    expect(split.rejected).toEqual([id(2), '../etc']);
    expect(split.unknown).toEqual([id(3)]);
  });

  it('bounds the lookups of one report', () => {
    const many = Array.from({ length: MAX_LOOKUPS_PER_REPORT + 10 }, (_, i) => status(id(i)));
    const split = splitReport(many, { owned: new Set(), foreign: new Set() });
    expect(split.unknown).toHaveLength(MAX_LOOKUPS_PER_REPORT);
    expect(split.rejected).toHaveLength(10);
  });

  it("remembers the store's answer, and a push resets ownership to what was sent and is still reported", () => {
    const o = { owned: new Set<string>(), foreign: new Set<string>() };
    learn(o, [id(1), id(2)], new Set([id(1)]));
    expect(o).toEqual({ owned: new Set([id(1)]), foreign: new Set([id(2)]) });
    // id(2) was placed on this node since: being sent makes it the node's.
    expect(afterPush(o, [id(2), id(3)], [id(4)])).toEqual({ owned: new Set([id(2), id(3), id(4)]), foreign: new Set() });
  });
});

describe('log throttle', () => {
  it('lets one line per key and interval through and counts the rest', () => {
    const t = new LogThrottle(60_000);
    expect(t.take('a', 0)).toEqual({ held: 0 });
    expect(t.take('a', 1_000)).toBeUndefined();
    expect(t.take('a', 2_000)).toBeUndefined();
    expect(t.take('b', 2_000)).toEqual({ held: 0 });
    expect(t.take('a', 60_000)).toEqual({ held: 2 });
  });
});
