import { describe, expect, it } from 'vitest';
import { resolveKind, resolveTarget } from './kinds.ts';

describe('resolveKind', () => {
  it('accepts singular, plural, short and Kind spellings', () => {
    for (const [inputs, plural] of [
      [['image', 'images', 'img', 'Image'], 'images'],
      [['reservation', 'reservations', 'res', 'RES'], 'reservations'],
      [['node', 'nodes', 'no'], 'nodes'],
      [['event', 'events', 'ev'], 'events'],
    ] as const) {
      for (const input of inputs) expect(resolveKind(input).plural).toBe(plural);
    }
  });

  it('rejects an unknown kind as Invalid, listing the known ones', () => {
    expect(() => resolveKind('pods')).toThrow(expect.objectContaining({ code: 'Invalid', message: expect.stringContaining('reservations (res)') }));
  });
});

describe('resolveTarget', () => {
  it('splits KIND/NAME and keeps further names', () => {
    const { info, names } = resolveTarget('res/a', ['b']);
    expect([info.kind, names]).toEqual(['Reservation', ['a', 'b']]);
  });

  it('rejects KIND/ without a name', () => {
    expect(() => resolveTarget('res/', [])).toThrow(/names no object/);
  });
});
