import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import {
  containerMounts,
  mountPointOf,
  NOT_GRANTED,
  mountStatuses,
  planStorageRelease,
  planStorageSetup,
  storageNotReady,
  volumeName,
} from './plan-storage.ts';
import type { StorageObservation } from './storage-types.ts';

const layout = { nodeName: 'n1', mountRoot: '/state/mounts' };
const spec = (reservationId: string, profile: string, dataPath = '/data'): ContainerSpec => ({
  reservationId,
  generation: 1,
  name: reservationId,
  image: 'img',
  cpus: 1,
  memoryBytes: 1,
  ports: [],
  env: {},
  profile,
  dataPath,
});
const container = (reservationId: string): ObservedContainer => ({
  id: `c-${reservationId}`,
  name: reservationId,
  image: 'img',
  reservationId,
  generation: 1,
  specHash: 'h',
  state: 'running',
  health: 'none',
  restartCount: 0,
  startedAtMs: 1,
  ports: [],
  message: '',
  tenant: 'owner-1',
  ephemeralStorageLimitBytes: 0,
});
const none: StorageObservation = { volumes: [], mounts: [] };

describe('planStorageSetup', () => {
  it('creates a volume for local, mounts remote, and nothing for ephemeral', () => {
    expect(planStorageSetup([spec('a', 'local'), spec('b', 'remote'), spec('c', 'ephemeral')], none, layout)).toEqual([
      { kind: 'create-volume', reservationId: 'a', volume: 'berth-n1-a' },
      { kind: 'mount-remote', reservationId: 'b', mountPoint: '/state/mounts/b' },
    ]);
  });

  it('plans nothing when the storage is in place (an adopted mount after an agent restart)', () => {
    const observed = {
      volumes: [{ name: volumeName(layout, 'a'), reservationId: 'a' }],
      mounts: [{ reservationId: 'b', mountPoint: mountPointOf(layout, 'b'), fsType: 'fuse.sshfs' }],
    };
    expect(planStorageSetup([spec('a', 'local'), spec('b', 'remote')], observed, layout)).toEqual([]);
    expect(storageNotReady([spec('a', 'local'), spec('b', 'remote')], observed, layout).size).toBe(0);
  });

  it('replaces a dead remote mount (its sshfs is gone) and holds the reservation until it is back', () => {
    const observed = { volumes: [], mounts: [{ reservationId: 'b', mountPoint: mountPointOf(layout, 'b'), fsType: 'fuse.sshfs', alive: false }] };
    expect(planStorageSetup([spec('b', 'remote')], observed, layout)).toEqual([{ kind: 'remount', reservationId: 'b', mountPoint: '/state/mounts/b' }]);
    expect(storageNotReady([spec('b', 'remote')], observed, layout)).toEqual(new Set(['b']));
  });

  it('does not try to mount a remote directory the storage node has not granted to this node yet', () => {
    expect(planStorageSetup([{ ...spec('b', 'remote'), storageGranted: false }], none, layout)).toEqual([
      { kind: 'reject', reservationId: 'b', message: NOT_GRANTED },
    ]);
    expect(planStorageSetup([{ ...spec('b', 'remote'), storageGranted: true }], none, layout)).toEqual([
      { kind: 'mount-remote', reservationId: 'b', mountPoint: '/state/mounts/b' },
    ]);
  });

  it('rejects a storage profile whose image declares no data path', () => {
    expect(planStorageSetup([spec('a', 'local', '')], none, layout)).toEqual([
      { kind: 'reject', reservationId: 'a', message: expect.stringContaining('dataPath') },
    ]);
  });
});

describe('planStorageRelease', () => {
  const observed: StorageObservation = {
    volumes: [{ name: 'berth-n1-a', reservationId: 'a' }],
    mounts: [{ reservationId: 'b', mountPoint: '/state/mounts/b', fsType: 'fuse.sshfs' }],
  };

  it('keeps storage of desired reservations', () => {
    expect(planStorageRelease([spec('a', 'local'), spec('b', 'remote')], observed, [], layout)).toEqual([]);
  });

  it('releases storage of reservations no longer desired once their container is gone', () => {
    expect(planStorageRelease([], observed, [], layout)).toEqual([
      { kind: 'remove-volume', reservationId: 'a', volume: 'berth-n1-a' },
      { kind: 'unmount', reservationId: 'b', mountPoint: '/state/mounts/b' },
    ]);
  });

  it('waits while a container of the reservation still exists', () => {
    expect(planStorageRelease([], observed, [container('a'), container('b')], layout)).toEqual([]);
  });
});

describe('containerMounts and mountStatuses', () => {
  it('mounts the volume or the sshfs mount point at the data path', () => {
    expect(containerMounts(spec('a', 'local'), layout)).toEqual([{ type: 'volume', source: 'berth-n1-a', target: '/data' }]);
    // A subdirectory that exists only while mounted (see REMOTE_DATA_DIR).
    expect(containerMounts(spec('b', 'remote'), layout)).toEqual([{ type: 'bind', source: '/state/mounts/b/data', target: '/data' }]);
    expect(containerMounts(spec('c', 'ephemeral'), layout)).toEqual([]);
  });

  it('reports ready storage, and failed storage with the failure message', () => {
    const observed = { volumes: [{ name: 'berth-n1-a', reservationId: 'a' }], mounts: [] };
    const statuses = mountStatuses(
      [spec('a', 'local'), spec('b', 'remote')],
      observed,
      new Map([['b', 'storage unavailable: refused']]),
      layout,
      (id) => `s:/base/${id}`,
    );
    expect(statuses.get('a')).toEqual([{ profile: 'local', source: 'berth-n1-a', target: '/data', state: 'ready', message: '' }]);
    expect(statuses.get('b')).toEqual([{ profile: 'remote', source: 's:/base/b', target: '/data', state: 'failed', message: 'storage unavailable: refused' }]);
  });
});
