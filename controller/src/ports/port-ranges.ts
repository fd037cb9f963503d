// The shapes port allocation works with; PortPool (port-pool.ts) does the allocating.
import { DEFAULT_NAT_PORTS, DEFAULT_NODE_PORTS, type PortRange } from './pick-port.ts';

export interface PortRanges {
  node: PortRange;
  nat: PortRange;
}
export const DEFAULT_PORT_RANGES: PortRanges = { node: DEFAULT_NODE_PORTS, nat: DEFAULT_NAT_PORTS };

export interface ImagePort {
  name: string;
  port: number;
}
