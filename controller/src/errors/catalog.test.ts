import { describe, expect, it } from 'vitest';
import { BerthError } from './catalog.ts';

describe('BerthError', () => {
  it('recognises an error made by another copy of the class (the CLI and server bundles each have one)', async () => {
    // A query makes the loader evaluate the file a second time: a second, distinct class.
    const secondCopy: string = './catalog.ts?second-copy';
    const other = (await import(secondCopy)) as typeof import('./catalog.ts');
    expect(other.BerthError).not.toBe(BerthError);
    const err = new other.BerthError('Invalid', 'nodeGrace: must be a duration');
    expect(err instanceof BerthError).toBe(true);
    expect(new BerthError('NotFound', 'x') instanceof other.BerthError).toBe(true);
  });

  it('is not fooled by plain errors, and subclasses still check their own prototype', () => {
    class Narrower extends BerthError {}
    expect(new Error('x') instanceof BerthError).toBe(false);
    expect({ code: 'Invalid', message: 'x' } instanceof BerthError).toBe(false);
    expect(new Narrower('Invalid', 'x') instanceof BerthError).toBe(true);
    expect(new BerthError('Invalid', 'x') instanceof Narrower).toBe(false);
    expect(new Narrower('Invalid', 'x') instanceof Narrower).toBe(true);
  });
});
