import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { CapacityIndex, type AdmissionGuard } from '../capacity/index.ts';
import { admit } from './admission.ts';
import { admissionErrorFor, summarizeRejections } from './admission-errors.ts';

const H = 3_600_000;
const GiB = 1024;

/** The error the real admission code throws for a cluster where nothing fits. */
function refusal(): BerthError {
  const capacity = new CapacityIndex(100, 0);
  const node = (name: string, extra: Partial<{ cordoned: boolean; ready: boolean; memoryMiB: number }> = {}) =>
    capacity.upsertNode({ id: name, name, cores: 8, memoryMiB: 8 * GiB, cordoned: false, ready: true, ...extra });
  for (const name of ['cn-a', 'cn-b', 'cn-c']) {
    node(name);
    capacity.commit(`busy-${name}`, { nodeId: name, start: 0, end: 10 * H, milliCores: 1000, memoryMiB: 7 * GiB, publicPorts: 0 });
  }
  node('cn-d', { cordoned: true });
  node('cn-e', { memoryMiB: GiB });
  try {
    admit({ capacity } as AdmissionGuard, { start: H, end: 2 * H, milliCores: 1000, memoryMiB: 2 * GiB, publicPorts: 1 }, 'min-ram-ratio');
  } catch (err) {
    return err as BerthError;
  }
  throw new Error('admission unexpectedly succeeded');
}

describe('a refused admission as each role reads it', () => {
  it('gives an admin every node and its reason, unchanged', () => {
    const err = refusal();
    expect(admissionErrorFor(err, { role: 'admin' })).toBe(err);
    expect(err.message).toContain('cn-d: node is cordoned');
    expect((err.details as { rejections: unknown[] }).rejections).toHaveLength(5);
  });

  it('gives a customer the window and a count per reason, naming no node', () => {
    const err = admissionErrorFor(refusal(), { role: 'customer' });
    expect(err.code).toBe('NoResources');
    expect(err.message).toBe(
      'no resources available for 1 core and 2048Mi from 1970-01-01T01:00:00.000Z to 1970-01-01T02:00:00.000Z: ' +
        'no node has room (3 lack memory in the window, 1 is too small, 1 is cordoned)',
    );
    expect(err.details).toEqual({
      window: { start: '1970-01-01T01:00:00.000Z', end: '1970-01-01T02:00:00.000Z' },
      summary: [
        { reason: 'lack memory in the window', nodes: 3 },
        { reason: 'is too small', nodes: 1 },
        { reason: 'is cordoned', nodes: 1 },
      ],
    });
    expect(JSON.stringify(err.toBody())).not.toMatch(/cn-|Mi of|already committed/);
  });

  it('treats an unauthenticated caller like a customer and leaves other errors alone', () => {
    expect(admissionErrorFor(refusal(), undefined).message).not.toContain('cn-');
    const other = new BerthError('Conflict', 'cn-a: name taken');
    expect(admissionErrorFor(other, { role: 'customer' })).toBe(other);
  });

  it('keeps a refusal that names no node as it is', () => {
    const err = new BerthError(
      'NoResources',
      'no resources available from A to B: public ports: 100 of 100 already taken in the window, needs 1 more',
      undefined,
      { window: {}, rejections: [] },
    );
    expect(admissionErrorFor(err, { role: 'customer' })).toBe(err);
  });

  it('counts reasons it does not know under one heading', () => {
    expect(
      summarizeRejections([
        { node: 'x', reason: 'something new' },
        { node: 'y', reason: 'node is NotReady' },
      ]),
    ).toEqual([
      { reason: 'is not ready', nodes: 1 },
      { reason: 'cannot take it', nodes: 1 },
    ]);
  });
});
