import { describe, expect, it } from 'vitest';
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerSpec } from '@berth/proto';
import {
  CONTAINER_CAPABILITIES,
  DEFAULT_EPHEMERAL_STORAGE_BYTES,
  DEFAULT_PIDS_LIMIT,
  ephemeralStorageOf,
  hardenedHostConfig,
  securityOf,
} from './hardening.ts';

const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
  reservationId: 'r1',
  generation: 1,
  name: 'c',
  image: 'img',
  cpus: 1,
  memoryBytes: 64 * 1048576,
  ports: [],
  env: {},
  profile: 'ephemeral',
  dataPath: '',
  ...overrides,
});

describe('hardenedHostConfig', () => {
  it('drops every capability but the minimal set, never NET_RAW, with no-new-privileges, no swap and rotated logs', () => {
    const host = hardenedHostConfig(spec({ pidsLimit: 100 }), 'berth-abc');
    expect(host).toEqual({
      NetworkMode: 'berth-abc',
      PidsLimit: 100,
      CapDrop: ['ALL'],
      CapAdd: [...CONTAINER_CAPABILITIES],
      SecurityOpt: ['no-new-privileges:true'],
      MemorySwap: 64 * 1048576,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    });
    expect(CONTAINER_CAPABILITIES).not.toContain('NET_RAW');
  });

  it('falls back to the defaults when the controller sends no limits', () => {
    expect(hardenedHostConfig(spec(), undefined).PidsLimit).toBe(DEFAULT_PIDS_LIMIT);
    expect(ephemeralStorageOf(spec())).toBe(DEFAULT_EPHEMERAL_STORAGE_BYTES);
    expect(ephemeralStorageOf(spec({ ephemeralStorageBytes: 5 }))).toBe(5);
  });
});

describe('securityOf', () => {
  const inspect = (host: Record<string, unknown>) => ({ HostConfig: host }) as unknown as ContainerInspectInfo;

  it('reads back what the engine applied, with capability names as any engine version writes them', () => {
    const info = inspect({ ...hardenedHostConfig(spec(), 'berth-abc'), CapAdd: ['CAP_SETUID', 'CAP_CHOWN'] });
    expect(securityOf(info, 1024)).toEqual({
      network: 'berth-abc',
      pidsLimit: DEFAULT_PIDS_LIMIT,
      noNewPrivileges: true,
      capabilities: ['CHOWN', 'SETUID'],
      memorySwapBytes: 64 * 1048576,
      logMaxSize: '10m',
      logMaxFiles: 3,
      ephemeralStorageLimitBytes: 1024,
      ephemeralStorageUsedBytes: 0,
    });
  });

  it('claims no confinement for a container created without it', () => {
    expect(securityOf(inspect({ NetworkMode: 'default' }), 0)).toMatchObject({ pidsLimit: 0, noNewPrivileges: false, capabilities: [], logMaxSize: '' });
  });
});
