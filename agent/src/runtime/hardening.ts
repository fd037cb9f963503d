// Pure: the confinement every Berth container runs with, and how to read it back from the engine.
import type { ContainerInspectInfo, HostConfig } from 'dockerode';
import type { ContainerSecurity, ContainerSpec } from '@berth/proto';

/**
 * All a container keeps; every other capability is dropped. Enough for the catalog images'
 * entrypoints (nginx, redis, mysql, mongo, jenkins): they start as root, chown their data
 * directory, drop to a service user (gosu / setuid workers) and bind their ports. Dropped from
 * Docker's default set: NET_RAW (forged packets, ARP/ICMP spoofing on the tenant network), MKNOD,
 * SETFCAP, SETPCAP, SYS_CHROOT, AUDIT_WRITE.
 */
export const CONTAINER_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'] as const;

export const DEFAULT_PIDS_LIMIT = 512;
export const DEFAULT_EPHEMERAL_STORAGE_BYTES = 1024 * 1048576;

/** json-file rotation: at most LOG_MAX_FILES files of LOG_MAX_SIZE per container. */
export const LOG_MAX_SIZE = '10m';
export const LOG_MAX_FILES = 3;

/**
 * Bumped whenever the confinement above changes, so the spec hash changes and running containers
 * are recreated with the new one rather than kept with the old.
 */
export const HARDENING_VERSION = 1;

export function pidsLimitOf(spec: ContainerSpec): number {
  return spec.pidsLimit && spec.pidsLimit > 0 ? spec.pidsLimit : DEFAULT_PIDS_LIMIT;
}

export function ephemeralStorageOf(spec: ContainerSpec): number {
  return spec.ephemeralStorageBytes && spec.ephemeralStorageBytes > 0 ? spec.ephemeralStorageBytes : DEFAULT_EPHEMERAL_STORAGE_BYTES;
}

/** The HostConfig fields that confine the container; resources and ports are set by the caller. */
export function hardenedHostConfig(spec: ContainerSpec, network: string | undefined): HostConfig {
  return {
    NetworkMode: network,
    PidsLimit: pidsLimitOf(spec),
    CapDrop: ['ALL'],
    CapAdd: [...CONTAINER_CAPABILITIES],
    SecurityOpt: ['no-new-privileges:true'],
    // Swap equal to memory means no swap on top of it: memory pressure stays inside the container.
    MemorySwap: spec.memoryBytes > 0 ? spec.memoryBytes : undefined,
    LogConfig: { Type: 'json-file', Config: { 'max-size': LOG_MAX_SIZE, 'max-file': String(LOG_MAX_FILES) } },
  };
}

/** What the engine says it applied (never what we meant to apply), for the container report. */
export function securityOf(info: ContainerInspectInfo, ephemeralStorageLimitBytes: number): ContainerSecurity {
  const host = info.HostConfig as HostConfig & { CapAdd?: string[] | null; CapDrop?: string[] | null; SecurityOpt?: string[] | null };
  const dropped = new Set<string>((host.CapDrop ?? []).map(capName));
  const added: string[] = (host.CapAdd ?? []).map(capName);
  const logConfig = host.LogConfig?.Config ?? {};
  return {
    network: host.NetworkMode ?? '',
    pidsLimit: host.PidsLimit ?? 0,
    noNewPrivileges: (host.SecurityOpt ?? []).some((o: string) => o === 'no-new-privileges' || o === 'no-new-privileges:true'),
    // Only a drop of ALL makes the added list the whole set; otherwise the engine's defaults remain.
    capabilities: dropped.has('ALL') ? [...new Set(added)].sort() : [],
    memorySwapBytes: host.MemorySwap ?? 0,
    logMaxSize: logConfig['max-size'] ?? '',
    logMaxFiles: Number(logConfig['max-file'] ?? 0) || 0,
    ephemeralStorageLimitBytes,
    ephemeralStorageUsedBytes: 0,
  };
}

/** Engines before 23 keep capability names as given, later ones prefix CAP_. */
function capName(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}
