// Pure: the storage node's Unix account of a compute node, and the node keys accepted for it.
// The helper on the storage node enforces the same account rule (scripts/storage-node).
import { createHash } from 'node:crypto';

const MAX_ACCOUNT = 32; // useradd's limit
const PREFIX = 'bn-';

/** bn-NODE; a node name too long for an account keeps its first 20 characters plus a hash. */
export function storageAccount(nodeName: string): string {
  if (PREFIX.length + nodeName.length <= MAX_ACCOUNT) return `${PREFIX}${nodeName}`;
  const hash = createHash('sha256').update(nodeName).digest('hex').slice(0, 8);
  return `${PREFIX}${nodeName.slice(0, 20).replace(/-+$/, '')}-${hash}`;
}

const ED25519 = /^ssh-ed25519 (AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]{48})$/;

/** "ssh-ed25519 BASE64" without a comment, or undefined when the text is not exactly one such key. */
export function normalizeStorageKey(text: string): string | undefined {
  const m = ED25519.exec(text.trim().split(/\s+/).slice(0, 2).join(' '));
  return m ? `ssh-ed25519 ${m[1]}` : undefined;
}
