// Runs requests on the storage node's helper over ssh with the controller's admin key: argument
// arrays locally, validated words remotely (the account's forced command is the helper itself).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { helperWords, type HelperRequest } from './helper-request.ts';
import type { StorageSettings } from './storage-settings.ts';

const run = promisify(execFile);
const TIMEOUT_MS = 60_000; // a grant of a moved reservation changes the owner of all its files

/** Port to the storage node, so the reconcilers' decisions can be tested without one. */
export interface StorageAdmin {
  run(request: HelperRequest): Promise<void>;
}

export class SshStorageAdmin implements StorageAdmin {
  constructor(
    private readonly s: StorageSettings,
    private readonly knownHostsFile: string,
  ) {}

  async run(request: HelperRequest): Promise<void> {
    const words = helperWords(request);
    const opts = [
      'BatchMode=yes',
      'IdentitiesOnly=yes',
      `IdentityFile=${this.s.keyFile}`,
      'StrictHostKeyChecking=accept-new',
      `UserKnownHostsFile=${this.knownHostsFile}`,
      'ConnectTimeout=5',
    ];
    try {
      await run('ssh', [...opts.flatMap((o) => ['-o', o]), '-T', '-p', String(this.s.port), '-l', this.s.user, '--', this.s.host, ...words], {
        timeout: TIMEOUT_MS,
      });
    } catch (err) {
      const e = err as { stderr?: string; message?: string; killed?: boolean };
      throw new Error(e.killed ? 'ssh timed out' : (e.stderr ?? '').trim().split('\n').pop() || e.message || String(err));
    }
  }
}
