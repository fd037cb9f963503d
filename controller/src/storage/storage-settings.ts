// The storage node of the remote profile: controller configuration, handed to agents on register.
import { readFile } from 'node:fs/promises';
import type { StorageNode } from '@berth/proto';
import { BerthError } from '../errors/index.ts';

export interface StorageSettings {
  host: string;
  port: number;
  user: string;
  /** Each remote reservation gets basePath/<reservation id> on the storage node. */
  basePath: string;
  /** OpenSSH private key the controller and the agents log in with. */
  keyFile: string;
}

export const STORAGE_ENV = {
  host: 'BERTH_STORAGE_HOST',
  port: 'BERTH_STORAGE_PORT',
  user: 'BERTH_STORAGE_USER',
  path: 'BERTH_STORAGE_PATH',
  key: 'BERTH_STORAGE_KEY',
} as const;

export type StorageFlags = Partial<Record<'storageHost' | 'storagePort' | 'storageUser' | 'storagePath' | 'storageKey', string | number>>;

const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** undefined when no storage host is set; throws BerthError on a half or bad configuration. */
export function resolveStorageSettings(flags: StorageFlags, env: NodeJS.ProcessEnv, fromFile: Record<string, unknown> = {}): StorageSettings | undefined {
  const pick = (flag: keyof StorageFlags, envName: string) => {
    const v = flags[flag] ?? env[envName] ?? fromFile[flag];
    return v === undefined || String(v).trim() === '' ? undefined : String(v).trim();
  };
  const host = pick('storageHost', STORAGE_ENV.host);
  if (!host) return undefined;
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new BerthError('Invalid', `storage-host: expected a host name or address, got "${host}"`, 'storageHost');
  const port = Number(pick('storagePort', STORAGE_ENV.port) ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BerthError('Invalid', 'storage-port: must be a port number', 'storagePort');
  const user = pick('storageUser', STORAGE_ENV.user) ?? 'root';
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(user)) throw new BerthError('Invalid', `storage-user: bad user name "${user}"`, 'storageUser');
  const basePath = pick('storagePath', STORAGE_ENV.path);
  // The path reaches a remote shell (mkdir, rm): only plain path characters are accepted.
  if (!basePath || !SAFE_PATH.test(basePath) || basePath.includes('..') || basePath.replace(/\/+$/, '') === '') {
    throw new BerthError('Invalid', 'storage-path: an absolute path of letters, digits, ".", "_", "-" and "/" (not "/") is required with --storage-host', 'storagePath');
  }
  const keyFile = pick('storageKey', STORAGE_ENV.key);
  if (!keyFile) throw new BerthError('Invalid', 'storage-key: the private key file is required with --storage-host', 'storageKey');
  return { host, port, user, basePath: basePath.replace(/\/+$/, ''), keyFile };
}

/** The message agents get; reads the key now so a bad path fails the controller's start. */
export async function loadStorageNode(s: StorageSettings): Promise<StorageNode> {
  let privateKey: string;
  try {
    privateKey = await readFile(s.keyFile, 'utf8');
  } catch (err) {
    throw new BerthError('Invalid', `storage-key: cannot read ${s.keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'storageKey');
  }
  return { host: s.host, port: s.port, user: s.user, basePath: s.basePath, privateKey };
}
