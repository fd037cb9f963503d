import { describe, expect, it } from 'vitest';
import { planRemoteReleases, type NodeView } from './plan-release.ts';
import { resolveStorageSettings } from './storage-settings.ts';

function view(reports: Record<string, string[] | undefined>): NodeView {
  return {
    connected: (id) => id in reports,
    observed: (id) => (reports[id] ? new Map(reports[id]!.map((r) => [r, {}])) : undefined),
    connectedNodeIds: () => Object.keys(reports),
  };
}

describe('planRemoteReleases', () => {
  const ended = (id: string, extra = {}) => ({ id, profile: 'remote', nodeId: 'n1', ...extra });

  it('releases an ended remote reservation once its node reports no container of it', () => {
    expect(planRemoteReleases([ended('r1')], view({ n1: [] }))).toEqual(['r1']);
  });

  it('waits while any node still reports its container, or its node has not reported yet', () => {
    expect(planRemoteReleases([ended('r1')], view({ n1: ['r1'] }))).toEqual([]);
    expect(planRemoteReleases([ended('r1')], view({ n1: [], n2: ['r1'] }))).toEqual([]);
    expect(planRemoteReleases([ended('r1')], view({ n1: undefined }))).toEqual([]);
  });

  it('does not wait for a lost node', () => {
    expect(planRemoteReleases([ended('r1')], view({}))).toEqual(['r1']);
  });

  it('releases exactly once and only remote reservations', () => {
    expect(planRemoteReleases([ended('r1', { storageReleasedAt: '2025-01-01T00:00:00Z' }), ended('r2', { profile: 'local' })], view({ n1: [] }))).toEqual([]);
  });
});

describe('resolveStorageSettings', () => {
  it('is off without a storage host and complete with one', () => {
    expect(resolveStorageSettings({}, {})).toBeUndefined();
    expect(resolveStorageSettings({ storageHost: '10.0.0.2', storagePath: '/srv/berth/', storageKey: '/k' }, { BERTH_STORAGE_PORT: '2222' })).toEqual({
      host: '10.0.0.2', port: 2222, user: 'root', basePath: '/srv/berth', keyFile: '/k',
    });
  });

  it('refuses a half configuration and paths a remote shell could interpret', () => {
    expect(() => resolveStorageSettings({ storageHost: 'h', storagePath: '/srv' }, {})).toThrow(/storage-key/);
    expect(() => resolveStorageSettings({ storageHost: 'h', storagePath: '/srv; rm -rf /', storageKey: '/k' }, {})).toThrow(/storage-path/);
    expect(() => resolveStorageSettings({ storageHost: 'h', storagePath: '/', storageKey: '/k' }, {})).toThrow(/storage-path/);
  });
});
