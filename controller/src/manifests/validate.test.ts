import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { validateManifest } from './validate.ts';
import { parseDurationMs, parseMemoryMiB } from './quantity.ts';
import { ENV_MAX_ENTRIES, ENV_MAX_TOTAL_BYTES, ENV_NAME_MAX_CHARS, LABELS_MAX_ENTRIES } from './limits.ts';

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

  it('accepts cores as 0.5, "250m" or 2 and keeps them as written', () => {
    for (const cores of [0.5, '250m', 2, '1.5']) {
      expect(validateManifest({ ...reservation, spec: { ...reservation.spec, cores } }).spec).toMatchObject({ cores });
      const resources = { cores, memory: '64Mi', maxCores: cores };
      expect(validateManifest({ ...image, spec: { ...image.spec, resources } }).spec).toMatchObject({ resources: { cores, maxCores: cores } });
    }
  });

  it('refuses cores that cannot be honoured exactly, naming the field', () => {
    for (const cores of [0, -1, 0.0001, 1.2345, 'abc', '1.5m', true, 300]) {
      const err = errorOf({ ...reservation, spec: { ...reservation.spec, cores } });
      expect(err.field).toBe('spec.cores');
      expect(err.message).toMatch(/^spec\.cores: must be/);
      expect(errorOf({ ...image, spec: { ...image.spec, resources: { cores, memory: '64Mi' } } }).field).toBe('spec.resources.cores');
      expect(errorOf({ ...image, spec: { ...image.spec, resources: { cores: 1, memory: '64Mi', maxCores: cores } } }).field).toBe('spec.resources.maxCores');
    }
    expect(errorOf({ ...image, spec: { ...image.spec, resources: { memory: '64Mi' } } }).message).toBe('spec.resources.cores: is required');
  });

  it('accepts the largest env the limits allow', () => {
    const env = maximalEnv('A');
    expect(Object.keys(env)).toHaveLength(ENV_MAX_ENTRIES);
    expect(validateManifest({ ...reservation, spec: { ...reservation.spec, env } }).spec).toMatchObject({ env });
    expect(validateManifest({ ...image, spec: { ...image.spec, env } }).spec).toMatchObject({ env });
  });

  it('refuses an env over the limits with the limit in the message and the field named', () => {
    const many = Object.fromEntries(Array.from({ length: ENV_MAX_ENTRIES + 1 }, (_, i) => [`V${i}`, 'x']));
    expect(errorOf({ ...reservation, spec: { ...reservation.spec, env: many } })).toMatchObject({
      field: 'spec.env',
      message: `spec.env: must have at most ${ENV_MAX_ENTRIES} variables, got ${ENV_MAX_ENTRIES + 1}`,
    });
    const big = { BIG: 'x'.repeat(ENV_MAX_TOTAL_BYTES) };
    expect(errorOf({ ...reservation, spec: { ...reservation.spec, env: big } })).toMatchObject({
      field: 'spec.env',
      message: expect.stringContaining('at most 32768 bytes (32 KiB), got 32771'),
    });
    // Bytes, not characters: 11,000 three-byte characters are 33,000 bytes.
    expect(errorOf({ ...image, spec: { ...image.spec, env: { E: '€'.repeat(11_000) } } }).field).toBe('spec.env');
    const longName = 'N'.repeat(ENV_NAME_MAX_CHARS + 1);
    expect(errorOf({ ...reservation, spec: { ...reservation.spec, env: { [longName]: 'x' } } })).toMatchObject({
      field: `spec.env.${longName}`,
      message: expect.stringContaining(`at most ${ENV_NAME_MAX_CHARS} characters`),
    });
    expect(errorOf({ ...reservation, spec: { ...reservation.spec, env: { '1BAD': 'x' } } }).message).toBe('spec.env.1BAD: invalid variable name');
  });

  it('refuses more labels than allowed and over-long label values, naming metadata.labels', () => {
    const labels = Object.fromEntries(Array.from({ length: LABELS_MAX_ENTRIES + 1 }, (_, i) => [`l${i}`, 'v']));
    expect(errorOf({ ...reservation, metadata: { name: 'demo', labels } })).toMatchObject({
      field: 'metadata.labels',
      message: `metadata.labels: must have at most ${LABELS_MAX_ENTRIES} labels`,
    });
    expect(errorOf({ ...reservation, metadata: { name: 'demo', labels: { tier: 'v'.repeat(64) } } })).toMatchObject({
      field: 'metadata.labels.tier',
      message: expect.stringContaining('at most 63 characters'),
    });
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

/** ENV_MAX_ENTRIES variables whose names and values total exactly ENV_MAX_TOTAL_BYTES. */
function maximalEnv(prefix: string): Record<string, string> {
  const names = Array.from({ length: ENV_MAX_ENTRIES }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
  const per = Math.floor((ENV_MAX_TOTAL_BYTES - names.join('').length) / names.length);
  const env = Object.fromEntries(names.map((n) => [n, 'v'.repeat(per)]));
  const rest = ENV_MAX_TOTAL_BYTES - names.join('').length - per * names.length;
  env[names[0]] += 'v'.repeat(rest);
  return env;
}

describe('validateManifest reports every problem at once', () => {
  it('names a misspelled required field as unknown first, with the spelling it resembles', () => {
    const err = errorOf({ ...reservation, spec: { image: 'web', duraton: '2h' } });
    expect(err.field).toBe('spec.duraton');
    expect(err.message).toBe('2 problems: unknown field "spec.duraton" (did you mean "duration"?); spec.duration: is required');
    expect(err.details).toEqual({
      problems: [
        { field: 'spec.duraton', message: 'unknown field "spec.duraton" (did you mean "duration"?)' },
        { field: 'spec.duration', message: 'spec.duration: is required' },
      ],
    });
  });

  it('lists the envelope problems and the spec problems together, unknown fields first', () => {
    const err = errorOf({ ...reservation, apiVersion: 'v1', metadata: { name: 'Demo!' }, extra: 1, spec: { image: 'web', duration: 'soon', colour: 'red' } });
    const problems = (err.details as { problems: { field: string }[] }).problems.map((p) => p.field);
    expect(problems).toEqual(['extra', 'spec.colour', 'apiVersion', 'metadata.name', 'spec.duration']);
    expect(err.field).toBe('extra');
  });

  it('still checks the spec of a known kind when the envelope is wrong, and reports a missing spec', () => {
    const wrongVersion = errorOf({ ...image, apiVersion: 'berth/v2', spec: { ...image.spec, ref: '' } });
    expect(wrongVersion.message).toContain('apiVersion: must be berth/v1');
    expect(wrongVersion.message).toContain('spec.ref:');
    const noSpec = errorOf({ apiVersion: 'berth/v1', kind: 'Pod', metadata: { name: 'x' } });
    expect(noSpec.message).toBe('2 problems: kind: must be one of Image, Reservation; spec: is required');
  });

  it('keeps a single problem as one plain message without details', () => {
    const err = errorOf({ ...reservation, spec: { ...reservation.spec, duration: 'soon' } });
    expect(err.message).toBe('spec.duration: must be a duration such as 90m or 2h');
    expect(err.details).toBeUndefined();
  });

  it('suggests nothing for an unknown field that resembles no missing one', () => {
    const err = errorOf({ ...reservation, spec: { ...reservation.spec, replicas: 3 } });
    expect(err.message).toBe('unknown field "spec.replicas"');
  });
});
