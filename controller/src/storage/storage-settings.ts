// Storage node effects of the controller's configuration: the key check at start and what each
// node is told on register. The settings themselves are in settings/storage-settings.ts.
import { access, constants } from 'node:fs/promises';
import type { StorageNode } from '@berth/proto';
import { BerthError } from '../errors/index.ts';
import type { StorageSettings } from '../settings/storage-settings.ts';
import { storageAccount } from './storage-account.ts';

export type { StorageSettings } from '../settings/storage-settings.ts';

/** Fails the controller's start on a key file it cannot read; the key itself stays on disk. */
export async function checkStorageKey(s: StorageSettings): Promise<void> {
  try {
    await access(s.keyFile, constants.R_OK);
  } catch (err) {
    throw new BerthError('Invalid', `storage-key: cannot read ${s.keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'storageKey');
  }
}

/** What one node gets on register: where the storage node is and its own chrooted account. */
export function storageNodeFor(s: StorageSettings, nodeName: string): StorageNode {
  return { host: s.host, port: s.port, user: storageAccount(nodeName), basePath: '/' };
}
