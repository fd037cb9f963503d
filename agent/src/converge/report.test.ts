import { describe, expect, it } from 'vitest';
import type { ContainerSecurity } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import { buildReport } from './report.ts';

const security: ContainerSecurity = {
  network: 'berth-abc',
  pidsLimit: 512,
  noNewPrivileges: true,
  capabilities: ['CHOWN'],
  memorySwapBytes: 1,
  logMaxSize: '10m',
  logMaxFiles: 3,
  ephemeralStorageLimitBytes: 16,
  ephemeralStorageUsedBytes: 0,
};
const container = (id: string, state: string): ObservedContainer => ({
  id,
  name: id,
  image: 'img',
  reservationId: `r-${id}`,
  generation: 1,
  specHash: 'h',
  state,
  health: 'none',
  restartCount: 0,
  startedAtMs: 1,
  ports: [],
  message: state === 'exited' ? 'exited with code 137' : '',
  tenant: 'alice',
  ephemeralStorageLimitBytes: 16,
  security,
});

describe('buildReport', () => {
  it('reports a container stopped for its disk use as failed, with why, and the disk use of the others', () => {
    const ephemeral = {
      evicted: (id: string) => (id === 'full' ? 'EphemeralStorageExceeded: too much' : undefined),
      usedBytes: (id: string) => (id === 'ok' ? 12 : undefined),
    };
    const report = buildReport(3, [], [container('full', 'exited'), container('ok', 'running')], new Map(), new Map(), ephemeral);
    expect(report.containers.map((c) => [c.containerId, c.state, c.message])).toEqual([
      ['full', 'failed', 'EphemeralStorageExceeded: too much'],
      ['ok', 'running', ''],
    ]);
    expect(report.containers[1].security).toEqual({ ...security, ephemeralStorageUsedBytes: 12 });
  });
});
