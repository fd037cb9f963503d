import type { ContainerStatus } from '@berth/proto';
import type { ChangeBus } from './change-bus.ts';
import type { LogBroker } from './log-broker.ts';
import type { LoopMonitor } from './loop-monitor.ts';
import type { LiveBeat } from './live-heartbeat.ts';
import type { Bucket } from './metrics-history.ts';

/** What the monitoring routes need from the running controller. */
export interface Monitoring {
  bus: ChangeBus;
  logs: LogBroker;
  /** Last container report of each connected node. */
  observed(nodeId: string): ReadonlyMap<string, ContainerStatus> | undefined;
  connectedNodeIds(): string[];
  /** The node's latest heartbeat (memory; the store has a coarse copy). */
  live(nodeId: string): LiveBeat | undefined;
  /** The node's metrics minute still folded in memory (the store has the minutes before it). */
  openMetrics?(nodeId: string): Bucket | undefined;
  loop?: LoopMonitor;
  queues?: () => Record<string, { depth: number; stats: { processed: number; failed: number } }> | undefined;
  /** SQL statements sent to the store since the controller started. */
  storeStatements?: () => number;
}
