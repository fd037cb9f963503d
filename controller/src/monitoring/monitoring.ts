import type { ContainerStatus } from '@berth/proto';
import type { ChangeBus } from './change-bus.ts';
import type { LogBroker } from './log-broker.ts';

/** What the monitoring routes need from the running controller. */
export interface Monitoring {
  bus: ChangeBus;
  logs: LogBroker;
  /** Last container report of each connected node. */
  observed(nodeId: string): ReadonlyMap<string, ContainerStatus> | undefined;
  connectedNodeIds(): string[];
}
