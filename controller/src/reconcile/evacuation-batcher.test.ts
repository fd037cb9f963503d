import { describe, expect, it } from 'vitest';
import { EvacuationBatcher } from './evacuation-batcher.ts';
import type { EvacuationResult } from './evacuate-node.ts';

const node = (id: string) => ({ id, name: `node-${id}` });

/** A pass that moves `moves[nodeId]` reservations off each node and records which nodes it got. */
function recordingPass(moves: Record<string, number>) {
  const passes: string[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const pass = async (nodes: Array<{ id: string }>): Promise<EvacuationResult> => {
    passes.push(nodes.map((n) => n.id));
    if (gate) await gate;
    const rescheduled = nodes.flatMap((n) =>
      Array.from({ length: moves[n.id] ?? 0 }, (_, i) => ({
        reservation: `${n.id}-${i}`,
        node: 'x',
        id: `${n.id}-${i}`,
        toNodeId: 'x',
        fromNodeId: n.id,
        desired: true,
      })),
    );
    return { rescheduled, failed: [], remaining: [] };
  };
  return {
    pass,
    passes,
    hold: () => {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => {
      gate = undefined;
      release?.();
    },
  };
}

describe('EvacuationBatcher', () => {
  it('empties nodes asked for in the same turn in one pass and tells each caller its own count', async () => {
    const p = recordingPass({ a: 3, b: 0, c: 2 });
    const batcher = new EvacuationBatcher(p.pass);
    const counts = await Promise.all(['a', 'b', 'c'].map((id) => batcher.evacuate(node(id))));
    expect(counts).toEqual([3, 0, 2]);
    expect(p.passes).toEqual([['a', 'b', 'c']]);
  });

  it('puts nodes asked for while a pass runs into the next pass, once each', async () => {
    const p = recordingPass({ a: 1, b: 4 });
    const batcher = new EvacuationBatcher(p.pass);
    p.hold();
    const first = batcher.evacuate(node('a'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(p.passes).toEqual([['a']]);
    const second = [batcher.evacuate(node('b')), batcher.evacuate(node('b'))];
    p.release();
    expect(await first).toBe(1);
    expect(await Promise.all(second)).toEqual([4, 4]);
    expect(p.passes).toEqual([['a'], ['b']]);
  });

  it('rejects the callers of a failed pass and still serves later ones', async () => {
    let fail = true;
    const batcher = new EvacuationBatcher(async (nodes) => {
      if (fail) throw new Error('store unavailable');
      return {
        rescheduled: nodes.map((n) => ({ reservation: 'r', node: 'x', id: 'r', toNodeId: 'x', fromNodeId: n.id, desired: true })),
        failed: [],
        remaining: [],
      };
    });
    await expect(batcher.evacuate(node('a'))).rejects.toThrow('store unavailable');
    fail = false;
    expect(await batcher.evacuate(node('a'))).toBe(1);
  });
});
