import { describe, expect, it } from 'vitest';
import { diffSnapshots } from './watch-diff.ts';

type O = { metadata: { uid: string }; phase: string };
const o = (uid: string, phase: string): O => ({ metadata: { uid }, phase });
const key = (x: O) => x.metadata.uid;

describe('diffSnapshots', () => {
  it('reports every object as ADDED on the first list, then only what changed', () => {
    const first = diffSnapshots(new Map(), new Map(), [o('a', 'Scheduled'), o('b', 'Running')], key);
    expect(first.events.map((e) => [e.type, e.object.metadata.uid])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
    ]);
    const second = diffSnapshots(first.snapshot, first.objects, [o('a', 'Running'), o('b', 'Running'), o('c', 'Pending')], key);
    expect(second.events).toEqual([
      { type: 'MODIFIED', object: o('a', 'Running') },
      { type: 'ADDED', object: o('c', 'Pending') },
    ]);
    const third = diffSnapshots(second.snapshot, second.objects, [o('c', 'Pending')], key);
    expect(third.events).toEqual([
      { type: 'DELETED', object: o('a', 'Running') },
      { type: 'DELETED', object: o('b', 'Running') },
    ]);
    expect(diffSnapshots(third.snapshot, third.objects, [o('c', 'Pending')], key).events).toEqual([]);
  });
});
