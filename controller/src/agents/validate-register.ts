// Validation of the agent's Register message: the gRPC edge gets the same care as the API.
import { isIPv4 } from 'node:net';
import type { Register } from '@berth/proto';
import { normalizeStorageKey } from '../storage/storage-account.ts';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function registerProblem(r: Register | undefined): string | undefined {
  if (!r) return 'first message must be register';
  if (!NAME.test(r.nodeName) || r.nodeName.length > 63) return `node name "${r.nodeName}" must be a DNS-1123 label`;
  if (!isIPv4(r.address)) return `address "${r.address}" must be an IPv4 address`;
  if (!Number.isInteger(r.cores) || r.cores < 1) return `cores must be a positive integer, got ${r.cores}`;
  if (!(r.memoryBytes >= 16 * 1024 * 1024)) return `memory must be at least 16Mi, got ${r.memoryBytes} bytes`;
  if (r.storagePublicKey && !normalizeStorageKey(r.storagePublicKey)) return 'storage public key must be one ssh-ed25519 public key';
  // A PEM public key is a few hundred bytes; anything near this is not one.
  if ((r.publicKey ?? '').length > 16 * 1024) return 'public key must be at most 16 KiB of PEM';
  return undefined;
}
