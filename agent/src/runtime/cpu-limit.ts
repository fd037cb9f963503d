import type { ContainerSpec } from '@berth/proto';

/**
 * The engine's CPU limit (NanoCpus, billionths of a core) for a spec, or undefined for none.
 * milliCpus is exact (500 -> 500,000,000); a controller that predates it sends only cpus, a
 * double, which is rounded to the nearest nanocore.
 */
export function nanoCpus(spec: Pick<ContainerSpec, 'cpus' | 'milliCpus'>): number | undefined {
  if (spec.milliCpus && spec.milliCpus > 0) return spec.milliCpus * 1_000_000;
  return spec.cpus > 0 ? Math.round(spec.cpus * 1e9) : undefined;
}
