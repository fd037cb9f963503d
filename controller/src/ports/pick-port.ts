export interface PortRange {
  min: number;
  max: number;
}

export const DEFAULT_NODE_PORTS: PortRange = { min: 20000, max: 29999 };
export const DEFAULT_NAT_PORTS: PortRange = { min: 30000, max: 32767 };

/**
 * Lowest free port of the range at or after `from` (wrapping), or undefined when full.
 * Starting from a rotating offset spreads reuse so a just-freed port is not handed out at once.
 */
export function pickFreePort(range: PortRange, used: ReadonlySet<number>, from = range.min): number | undefined {
  const size = range.max - range.min + 1;
  const offset = Math.min(Math.max(from, range.min), range.max) - range.min;
  for (let i = 0; i < size; i++) {
    const port = range.min + ((offset + i) % size);
    if (!used.has(port)) return port;
  }
  return undefined;
}
