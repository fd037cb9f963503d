import { createHash } from 'node:crypto';
import type { ContainerSpec } from '@berth/proto';
import { ephemeralStorageOf, HARDENING_VERSION, pidsLimitOf } from '../runtime/hardening.ts';

/**
 * Fingerprint of everything in a spec that the engine bakes into a container at create time, so a
 * change the controller forgot to mark with a new generation still leads to a recreate.
 */
export function specHash(spec: ContainerSpec): string {
  const canonical = {
    name: spec.name,
    image: spec.image,
    cpus: spec.cpus,
    memoryBytes: spec.memoryBytes,
    ports: [...(spec.ports ?? [])]
      .map((p) => [p.name, p.containerPort, p.hostPort, p.hostIp ?? ''])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    env: Object.entries(spec.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    profile: spec.profile ?? '',
    dataPath: spec.dataPath ?? '',
    tenant: spec.tenant ?? '',
    pidsLimit: pidsLimitOf(spec),
    ephemeralStorageBytes: ephemeralStorageOf(spec),
    hardening: HARDENING_VERSION,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
