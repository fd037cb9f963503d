import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { validateManifest } from './validate.ts';
import { parseDurationMs, parseMemoryMiB } from './quantity.ts';

const image = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'web' },
  spec: { ref: 'berth-test/httpd:1', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '128Mi' } },
};
const reservation = {
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name: 'demo' },
  spec: { image: 'web', duration: '2h', profile: 'ephemeral' },
};

function errorOf(input: unknown): BerthError {
  try {
    validateManifest(input);
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('validateManifest', () => {
  it('accepts the documented Image and Reservation manifests', () => {
    expect(validateManifest(image)).toMatchObject({ kind: 'Image', metadata: { name: 'web', labels: {} } });
    expect(validateManifest(reservation)).toMatchObject({ kind: 'Reservation', spec: { profile: 'ephemeral' } });
  });

  it('defaults the profile to ephemeral', () => {
    const { spec } = validateManifest({ ...reservation, spec: { image: 'web', duration: '1h' } });
    expect(spec).toMatchObject({ profile: 'ephemeral' });
  });

  it('rejects an unknown kind naming the field', () => {
    const err = errorOf({ ...image, kind: 'Pod' });
    expect(err.code).toBe('Invalid');
    expect(err.field).toBe('kind');
    expect(err.message).toContain('Image, Reservation');
  });

  it('rejects an unknown spec field by name', () => {
    const err = errorOf({ ...reservation, spec: { ...reservation.spec, replicas: 3 } });
    expect(err.message).toBe('unknown field "spec.replicas"');
    expect(err.field).toBe('spec.replicas');
  });

  it('rejects an unknown top-level field by name', () => {
    const err = errorOf({ ...reservation, replicas: 3 });
    expect(err.message).toBe('unknown field "replicas"');
    expect(err.field).toBe('replicas');
  });

  it('rejects names that are not DNS-1123 labels', () => {
    for (const name of ['Demo', 'demo_1', '-demo', 'a'.repeat(64), '']) {
      expect(errorOf({ ...reservation, metadata: { name } }).field).toBe('metadata.name');
    }
  });

  it('rejects a malformed duration and memory quantity with their paths', () => {
    expect(errorOf({ ...reservation, spec: { image: 'web', duration: 'soon' } }).field).toBe('spec.duration');
    const badMemory = { ...image, spec: { ...image.spec, resources: { cores: 1, memory: 'lots' } } };
    expect(errorOf(badMemory).field).toBe('spec.resources.memory');
  });

  it('accepts per-image PIDs and ephemeral-storage limits and rejects unusable ones by path', () => {
    const limited = { ...image, spec: { ...image.spec, pidsLimit: 64, ephemeralStorage: '2Gi' } };
    expect(validateManifest(limited)).toMatchObject({ spec: { pidsLimit: 64, ephemeralStorage: '2Gi' } });
    expect(errorOf({ ...image, spec: { ...image.spec, pidsLimit: 4 } }).field).toBe('spec.pidsLimit');
    expect(errorOf({ ...image, spec: { ...image.spec, ephemeralStorage: 'a lot' } }).field).toBe('spec.ephemeralStorage');
  });

  it('reports a missing required field as required', () => {
    const err = errorOf({ ...reservation, spec: { image: 'web' } });
    expect(err.message).toBe('spec.duration: is required');
  });

  it('rejects non-mapping input', () => {
    expect(errorOf(['a']).code).toBe('Invalid');
    expect(errorOf(null).code).toBe('Invalid');
  });
});

describe('quantities', () => {
  it('parses memory into MiB', () => {
    expect(parseMemoryMiB('128Mi')).toBe(128);
    expect(parseMemoryMiB('1Gi')).toBe(1024);
    expect(parseMemoryMiB(1048576)).toBe(1);
    expect(parseMemoryMiB('0Mi')).toBeUndefined();
    expect(parseMemoryMiB('-1Mi')).toBeUndefined();
  });

  it('parses compound durations', () => {
    expect(parseDurationMs('90m')).toBe(5_400_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('45s')).toBe(45_000);
    expect(parseDurationMs('-1h')).toBeUndefined();
    expect(parseDurationMs('2')).toBeUndefined();
  });
});
