// Argument arrays for sshfs towards the storage node (the node's account is SFTP-only: no remote
// command ever runs there). Paths are validated all the same.
import type { StorageNode } from '@berth/proto';

export interface SshTarget extends StorageNode {
  keyFile: string;
  knownHostsFile: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** The reservation's directory on the storage node; throws on anything that is not a plain path. */
export function remoteDir(target: Pick<SshTarget, 'basePath'>, reservationId: string): string {
  if (!SAFE_PATH.test(target.basePath) || target.basePath.includes('..')) throw new Error(`unsafe storage base path ${JSON.stringify(target.basePath)}`);
  if (!SAFE_ID.test(reservationId)) throw new Error(`unsafe reservation id ${JSON.stringify(reservationId)}`);
  return `${target.basePath.replace(/\/+$/, '')}/${reservationId}`;
}

function sshOptions(t: SshTarget): string[] {
  return [
    'BatchMode=yes',
    'IdentitiesOnly=yes',
    `IdentityFile=${t.keyFile}`,
    // Trust on first use, pinned per agent state dir.
    'StrictHostKeyChecking=accept-new',
    `UserKnownHostsFile=${t.knownHostsFile}`,
    'ConnectTimeout=5',
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
  ];
}

export function sshfsArgs(t: SshTarget, reservationId: string, mountPoint: string): string[] {
  const opts = [...sshOptions(t), `port=${t.port || 22}`, 'reconnect', 'allow_other'];
  return [`${t.user}@${t.host}:${remoteDir(t, reservationId)}`, mountPoint, '-o', opts.join(',')];
}
