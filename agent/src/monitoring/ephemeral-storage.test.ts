import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evictionMessage, formatBytes, overLimit } from './ephemeral-storage.ts';
import { EvictionStore } from './evictions.ts';

const MiB = 1048576;

describe('overLimit', () => {
  it('picks the containers using more than their limit, never one without a known limit', () => {
    const samples = [
      { containerId: 'a', reservationId: 'ra', usedBytes: 17 * MiB, limitBytes: 16 * MiB },
      { containerId: 'b', reservationId: 'rb', usedBytes: 16 * MiB, limitBytes: 16 * MiB },
      { containerId: 'c', reservationId: 'rc', usedBytes: 99 * MiB, limitBytes: 0 },
    ];
    expect(overLimit(samples).map((s) => s.containerId)).toEqual(['a']);
  });

  it('says why, starting with the reason the controller shows', () => {
    expect(evictionMessage({ containerId: 'a', reservationId: 'ra', usedBytes: 40 * MiB, limitBytes: 16 * MiB })).toBe(
      "EphemeralStorageExceeded: the container wrote 40Mi to the node's disk (writable layer and local volume), over its limit of 16Mi; it was stopped",
    );
    expect(formatBytes(1536 * MiB)).toBe('1.5Gi');
  });
});

describe('EvictionStore', () => {
  it('remembers evictions across a restart and forgets containers that are gone', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'berth-evictions-')), 'state', 'evictions.json');
    const store = new EvictionStore(file);
    await store.load();
    await store.record('c1', 'EphemeralStorageExceeded: x');
    await store.record('c2', 'EphemeralStorageExceeded: y');
    const restarted = new EvictionStore(file);
    await restarted.load();
    expect(restarted.message('c1')).toBe('EphemeralStorageExceeded: x');
    await restarted.retain(new Set(['c2']));
    expect(restarted.message('c1')).toBeUndefined();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ c2: 'EphemeralStorageExceeded: y' });
  });
});
