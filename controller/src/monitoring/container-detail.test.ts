import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '@berth/proto';
import { containerDetail, observedContainer } from './container-detail.ts';

const status = (over: Partial<ContainerStatus> = {}): ContainerStatus => ({
  reservationId: 'r1',
  generation: 2,
  containerId: '0123456789abcdef',
  state: 'running',
  health: 'none',
  restartCount: 0,
  message: '',
  startedAtMs: 1,
  ports: [],
  security: {
    network: 'berth-abc',
    pidsLimit: 512,
    noNewPrivileges: true,
    capabilities: ['CHOWN', 'SETUID'],
    memorySwapBytes: 64 * 1048576,
    logMaxSize: '10m',
    logMaxFiles: 3,
    ephemeralStorageLimitBytes: 1024 * 1048576,
    ephemeralStorageUsedBytes: 12 * 1048576,
  },
  ...over,
});

describe('containerDetail', () => {
  it('shows the confinement the engine applied and the disk used against the limit', () => {
    expect(containerDetail(status())).toEqual({
      id: '0123456789ab',
      state: 'running',
      security: {
        network: 'berth-abc',
        pidsLimit: 512,
        noNewPrivileges: true,
        capabilities: ['CHOWN', 'SETUID'],
        memorySwap: '64Mi (equal to memory: no swap)',
        logs: 'json-file, 3 x 10m',
        ephemeralStorage: { limit: '1Gi', used: '12Mi' },
      },
    });
  });

  it('keeps the reason a container was stopped', () => {
    expect(containerDetail(status({ state: 'failed', message: 'EphemeralStorageExceeded: full' }))).toMatchObject({
      state: 'failed',
      message: 'EphemeralStorageExceeded: full',
    });
  });
});

describe('observedContainer', () => {
  it('prefers the report of the current generation among the connected nodes', () => {
    const reports = new Map([
      ['n1', new Map([['r1', status({ generation: 1, containerId: 'old' })]])],
      ['n2', new Map([['r1', status()]])],
    ]);
    const mon = { connectedNodeIds: () => ['n1', 'n2'], observed: (id: string) => reports.get(id) };
    expect(observedContainer(mon, 'r1', 2)?.containerId).toBe('0123456789abcdef');
    expect(observedContainer(mon, 'r9', 2)).toBeUndefined();
  });
});
