import type pino from 'pino';
import type { StorageAction, StorageHost } from './storage-types.ts';

/**
 * Runs storage actions in order; a failure is recorded against its reservation (reservationId ->
 * message) and never stops the others.
 */
export async function applyStorage(actions: StorageAction[], host: StorageHost, log?: pino.Logger): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const a of actions) {
    const fields = { reservation: a.reservationId, action: a.kind };
    try {
      switch (a.kind) {
        case 'reject':
          throw new Error(a.message);
        case 'create-volume':
          await host.createVolume(a.volume, a.reservationId);
          log?.info({ ...fields, volume: a.volume }, 'volume created');
          break;
        case 'remove-volume':
          await host.removeVolume(a.volume);
          log?.info({ ...fields, volume: a.volume }, 'volume removed');
          break;
        case 'mount-remote':
          await host.mountRemote(a.reservationId, a.mountPoint);
          log?.info({ ...fields, mountPoint: a.mountPoint }, 'remote storage mounted');
          break;
        case 'remount':
          await host.unmount(a.mountPoint);
          await host.mountRemote(a.reservationId, a.mountPoint);
          log?.warn({ ...fields, mountPoint: a.mountPoint }, 'dead remote storage mount replaced');
          break;
        case 'unmount':
          await host.unmount(a.mountPoint);
          log?.info({ ...fields, mountPoint: a.mountPoint }, 'remote storage unmounted');
          break;
      }
    } catch (err) {
      const message = `storage unavailable: ${err instanceof Error ? err.message : String(err)}`;
      failures.set(a.reservationId, message);
      log?.warn({ ...fields, err: message }, 'storage action failed');
    }
  }
  return failures;
}
