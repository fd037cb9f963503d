// Keeps each node's Ready condition true to its heartbeats. Due again when the freshest
// heartbeat would go stale.
import type { Logger } from 'pino';
import type { EngineStatus } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../server/clock.ts';
import { recordEvent } from '../events/index.ts';
import { setCondition, type Condition, type ConditionInput } from './conditions.ts';
import { shouldEvacuate } from './plan-node-loss.ts';

export interface NodeReconcilerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  graceMs: number;
  isConnected: (nodeId: string) => boolean;
  /** The engine status of the node's last heartbeat (Heartbeat.engine); undefined when unknown. */
  engineStatus?: (nodeId: string) => EngineStatus | null | undefined;
  /** Moves or fails a NotReady node's reservations (see evacuate-node.ts); absent: nothing moves. */
  evacuate?: (node: { id: string; name: string }) => Promise<number>;
}

/**
 * Pure: the Ready condition a node should carry now. `engine` is the engine status of the node's
 * last heartbeat: a live agent whose engine is unavailable cannot run anything, so the node is
 * not Ready. Unknown (older agents, no heartbeat yet since the controller started) counts as
 * available; a stale heartbeat makes its engine status stale too, so it is not consulted.
 */
export function nodeReadiness(lastHeartbeat: number | null, connected: boolean, now: number, graceMs: number, engine?: EngineStatus | null): ConditionInput {
  if (lastHeartbeat !== null && now - lastHeartbeat < graceMs) {
    if (engine && !engine.available) {
      return { type: 'Ready', status: 'False', reason: 'EngineUnavailable', message: `container engine unavailable: ${engine.message || 'no reason given'}` };
    }
    return connected
      ? { type: 'Ready', status: 'True', reason: 'AgentConnected', message: 'agent is connected and heartbeating' }
      : { type: 'Ready', status: 'True', reason: 'AgentReconnecting', message: 'agent stream dropped; within the heartbeat grace period' };
  }
  return { type: 'Ready', status: 'False', reason: 'HeartbeatMissed', message: `no heartbeat for more than ${Math.round(graceMs / 1000)}s` };
}

export function isNodeReady(status: unknown): boolean {
  const conditions = ((status ?? {}) as { conditions?: Condition[] }).conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class NodeReconciler {
  private readonly log: Logger;
  private readonly startedAt: number;

  constructor(private readonly deps: NodeReconcilerDeps) {
    this.log = deps.log.child({ component: 'node-reconciler' });
    this.startedAt = deps.clock.now();
  }

  async pass(): Promise<number | undefined> {
    const { db, clock, graceMs } = this.deps;
    const now = clock.now();
    let due: number | undefined;
    for (const node of await db.node.findMany()) {
      const stored = node.lastHeartbeat?.getTime() ?? null;
      // A controller that was down heard no heartbeats: a node Ready before gets a grace period
      // from this controller's start to reconnect.
      const beat = stored !== null && isNodeReady(node.status) ? Math.max(stored, this.startedAt) : stored;
      const ready = nodeReadiness(beat, this.deps.isConnected(node.id), now, graceMs, this.deps.engineStatus?.(node.id));
      const status = (node.status ?? {}) as { conditions?: Condition[] };
      const before = status.conditions ?? [];
      const conditions = setCondition(before, ready, now);
      if (conditions !== before) {
        await db.node.update({ where: { id: node.id }, data: { status: { ...status, conditions } } });
        const flipped = before.find((c) => c.type === 'Ready')?.status !== ready.status;
        if (flipped) {
          await recordEvent(db, { kind: 'Node', objectId: node.id, objectName: node.name, type: ready.status === 'True' ? 'Normal' : 'Warning', reason: ready.status === 'True' ? 'NodeReady' : 'NodeNotReady', message: ready.message });
          this.log.info({ node: node.name, ready: ready.status }, 'node readiness changed');
        }
      }
      // While the beat is fresh the condition changes by itself when it goes stale.
      if (beat !== null && now - beat < graceMs) due = Math.min(due ?? Infinity, beat + graceMs);
      if (ready.status === 'False' && this.deps.evacuate) {
        if (shouldEvacuate(false, this.startedAt, now, graceMs)) {
          const moved = await this.deps.evacuate({ id: node.id, name: node.name });
          if (moved > 0) this.log.warn({ node: node.name, reservations: moved }, 'evacuated NotReady node');
        } else {
          due = Math.min(due ?? Infinity, this.startedAt + graceMs);
        }
      }
    }
    return due;
  }
}
