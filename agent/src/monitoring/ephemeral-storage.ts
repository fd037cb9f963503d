// Pure: which containers have filled more of the node's disk than their limit allows.

/** The reason the controller shows (Ready=False) for a container stopped for its disk use. */
export const EPHEMERAL_STORAGE_EXCEEDED = 'EphemeralStorageExceeded';

export interface DiskSample {
  containerId: string;
  reservationId: string;
  /** Writable layer plus local volume. */
  usedBytes: number;
  /** 0 = no limit known (a container from before limits existed): never stopped. */
  limitBytes: number;
}

/** Answers to "why is it stopped" and "how much does it use", for the container report. */
export interface EphemeralStorageView {
  evicted(containerId: string): string | undefined;
  usedBytes(containerId: string): number | undefined;
}

export function overLimit(samples: readonly DiskSample[]): DiskSample[] {
  return samples.filter((s) => s.limitBytes > 0 && s.usedBytes > s.limitBytes);
}

export function evictionMessage(s: DiskSample): string {
  return `${EPHEMERAL_STORAGE_EXCEEDED}: the container wrote ${formatBytes(s.usedBytes)} to the node's disk (writable layer and local volume), over its limit of ${formatBytes(s.limitBytes)}; it was stopped`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[i]}`;
}
