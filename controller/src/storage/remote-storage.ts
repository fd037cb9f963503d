// Deletes a reservation's directory on the storage node over ssh: argument arrays locally, and
// only validated path characters in the one command the remote shell sees.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StorageSettings } from './storage-settings.ts';

const run = promisify(execFile);
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Port to the storage node, so the janitor's decisions can be tested without one. */
export interface RemoteStorage {
  removeDir(reservationId: string): Promise<void>;
}

export class SshRemoteStorage implements RemoteStorage {
  constructor(private readonly s: StorageSettings, private readonly knownHostsFile: string) {}

  async removeDir(reservationId: string): Promise<void> {
    if (!SAFE_ID.test(reservationId)) throw new Error(`unsafe reservation id ${JSON.stringify(reservationId)}`);
    const dir = `${this.s.basePath}/${reservationId}`;
    const opts = ['BatchMode=yes', 'IdentitiesOnly=yes', `IdentityFile=${this.s.keyFile}`, 'StrictHostKeyChecking=accept-new', `UserKnownHostsFile=${this.knownHostsFile}`, 'ConnectTimeout=5'];
    try {
      await run('ssh', [...opts.flatMap((o) => ['-o', o]), '-p', String(this.s.port), '-l', this.s.user, '--', this.s.host, 'rm', '-rf', '--', dir], { timeout: 30_000 });
    } catch (err) {
      const e = err as { stderr?: string; message?: string; killed?: boolean };
      throw new Error(e.killed ? 'ssh timed out' : ((e.stderr ?? '').trim().split('\n').pop() || e.message || String(err)));
    }
  }
}
