import type { NatEndpoint } from './endpoint.ts';

/** Makes the public endpoints match exactly the full desired set it is given, every time. */
export interface NatBackend {
  readonly kind: 'iptables' | 'userspace';
  /** Level-triggered and idempotent: `endpoints` is the whole desired set, not a change. */
  sync(endpoints: NatEndpoint[]): Promise<void>;
  /** Stops this process's part; iptables rules deliberately survive so a restart keeps serving. */
  close(): Promise<void>;
}

export type NatMode = 'auto' | 'iptables' | 'userspace';
