import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { describeFailure, nodeReasons } from './report-error.ts';

describe('describeFailure', () => {
  it('prints one line with the field and the catalog exit code', () => {
    expect(describeFailure(new BerthError('Conflict', 'name taken', 'metadata.name'))).toEqual({
      lines: ['error: name taken (field: metadata.name)'],
      exitCode: 5,
    });
  });

  it('adds per-node reasons for NoResources', () => {
    const err = new BerthError('NoResources', 'no resources available', undefined, [{ node: 'cn1', reason: 'full' }]);
    expect(describeFailure(err, 'reservation/x: ').lines).toEqual(['error: reservation/x: no resources available', '  cn1: full']);
  });

  it('does not repeat a node reason the message already gives (as the API words it for admins)', () => {
    const rejections = [
      { node: 'local', reason: 'memory: 1Gi free at the busiest instant, 2048Mi asked' },
      { node: 'cn2', reason: 'cordoned' },
    ];
    const message = 'no resources available for 1 and 2048Mi from A to B (local: memory: 1Gi free at the busiest instant, 2048Mi asked)';
    const lines = describeFailure(new BerthError('NoResources', message, undefined, { rejections }), 'reservation/x: ').lines;
    expect(lines).toEqual([`error: reservation/x: ${message}`, '  cn2: cordoned']);
  });

  it('turns anything unexpected into one Internal line without a stack', () => {
    const err = new TypeError('boom\n    at somewhere (file.ts:1:1)');
    expect(describeFailure(err)).toEqual({ lines: ['error: boom'], exitCode: 1 });
  });
});

describe('nodeReasons', () => {
  it('reads rejections as a list, wrapped, or as a node-to-reason map', () => {
    const list = [
      { node: 'cn1', reason: 'cordoned' },
      { name: 'cn2', message: 'NotReady' },
    ];
    expect(nodeReasons(list)).toEqual(['cn1: cordoned', 'cn2: NotReady']);
    expect(nodeReasons({ window: 'w', rejections: list })).toEqual(['cn1: cordoned', 'cn2: NotReady']);
    expect(nodeReasons({ nodes: { cn1: 'full' } })).toEqual(['cn1: full']);
    expect(nodeReasons({ cn1: 'full', cn2: 'cordoned' })).toEqual(['cn1: full', 'cn2: cordoned']);
  });

  it('ignores details it cannot read', () => {
    expect(nodeReasons(undefined)).toEqual([]);
    expect(nodeReasons({ window: { start: 1 } })).toEqual([]);
  });
});
