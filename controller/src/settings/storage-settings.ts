// The storage node of the remote profile: its settings (flags, env, YAML; see table.ts). The
// controller holds only its own admin key (it runs the storage node's helper, never a shell);
// each compute node gets its own account and key (see storage/storage-account.ts).
import { BerthError } from '../errors/index.ts';
import { SETTINGS, type Settings } from './table.ts';
import { CONTROLLER_PROFILE, resolveSettings } from './resolve.ts';

export interface StorageSettings {
  host: string;
  port: number;
  /** The storage node's admin account, whose key runs only berth-storage-helper. */
  user: string;
  /** OpenSSH private key of that admin account; never leaves the controller. */
  keyFile: string;
}

export const DEFAULT_STORAGE_ADMIN = SETTINGS.storageUser.default;

export type StorageFlags = Partial<Record<'storageHost' | 'storagePort' | 'storageUser' | 'storageKey', string | number>>;

type StorageKeys = 'storageHost' | 'storagePort' | 'storageUser' | 'storageKey' | 'storagePath';

/** undefined when no storage host is set; throws BerthError on a half or bad configuration. */
export function storageSettingsFrom(s: Pick<Settings, StorageKeys>): StorageSettings | undefined {
  const host = s.storageHost?.trim();
  if (!host) return undefined;
  if (s.storagePath !== undefined) {
    throw new BerthError(
      'Invalid',
      'storage-path: the base directory is now set on the storage node (scripts/storage-node/setup-storage-node.sh BASE_DIR ...); remove BERTH_STORAGE_PATH / storagePath',
      'storagePath',
    );
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new BerthError('Invalid', `storage-host: expected a host name or address, got "${host}"`, 'storageHost');
  const user = s.storageUser.trim();
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(user)) throw new BerthError('Invalid', `storage-user: bad user name "${user}"`, 'storageUser');
  if (user === 'root')
    throw new BerthError(
      'Invalid',
      'storage-user: must not be root; use the admin account scripts/storage-node/setup-storage-node.sh creates (berth-admin)',
      'storageUser',
    );
  const keyFile = s.storageKey?.trim();
  if (!keyFile) throw new BerthError('Invalid', 'storage-key: the admin private key file is required with --storage-host', 'storageKey');
  if (s.storagePort < 1) throw new BerthError('Invalid', 'storage-port: must be a port number', 'storagePort');
  return { host, port: s.storagePort, user, keyFile };
}

/** The storage settings alone, from flags, environment and config file (see settings/). */
export function resolveStorageSettings(flags: StorageFlags, env: NodeJS.ProcessEnv, fromFile: Record<string, unknown> = {}): StorageSettings | undefined {
  return storageSettingsFrom(
    resolveSettings({ flags, env, file: fromFile }, CONTROLLER_PROFILE, ['storageHost', 'storagePort', 'storageUser', 'storageKey', 'storagePath']),
  );
}
