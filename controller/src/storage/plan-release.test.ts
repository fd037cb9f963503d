import { describe, expect, it } from 'vitest';
import { planRemoteReleases, type NodeView } from './plan-release.ts';
import { resolveStorageSettings } from '../settings/storage-settings.ts';

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
  it('is off without a storage host and complete with one, as the non-root admin account by default', () => {
    expect(resolveStorageSettings({}, {})).toBeUndefined();
    expect(resolveStorageSettings({ storageHost: '10.0.0.2', storageKey: '/k' }, { BERTH_STORAGE_PORT: '2222' })).toEqual({
      host: '10.0.0.2',
      port: 2222,
      user: 'berth-admin',
      keyFile: '/k',
    });
  });

  it('refuses a half configuration, root, and the storage path that now lives on the storage node', () => {
    expect(() => resolveStorageSettings({ storageHost: 'h' }, {})).toThrow(/^storage-key/);
    expect(() => resolveStorageSettings({ storageHost: 'h', storageKey: '/k', storageUser: 'root' }, {})).toThrow(/^storage-user: must not be root/);
    expect(() => resolveStorageSettings({ storageHost: 'h', storageKey: '/k' }, { BERTH_STORAGE_PATH: '/srv/berth' })).toThrow(/^storage-path: /);
    expect(() => resolveStorageSettings({ storageHost: 'h;x', storageKey: '/k' }, {})).toThrow(/^storage-host/);
  });
});
