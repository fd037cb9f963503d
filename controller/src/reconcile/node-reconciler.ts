// Keeps one node's Ready condition true to its heartbeats and its engine's health, and empties a
// node that stays NotReady. Reconciled per node key: enqueued when the node registers,
// disconnects, or its engine's health changes, and due again when its freshest heartbeat would
// go stale. Heartbeats are read from memory (the hub); the store only holds a coarse copy.
import type { Logger } from 'pino';
import type { EngineStatus } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { EventRecorder } from '../events/index.ts';
import type { ReconcileResult } from './work-queue.ts';
import { setCondition, type Condition, type ConditionInput } from '../domain/conditions.ts';
import { isNodeReady } from '../domain/node-ready.ts';
import { shouldEvacuate } from './plan-node-loss.ts';
import type { EvictionLimiter } from './eviction-limiter.ts';

/** The engine status of a node's last heartbeat (Heartbeat.engine); null/undefined when unknown. */
export type EngineHealth = Pick<EngineStatus, 'available' | 'message'> & { unavailableSinceMs?: number };

/**
 * Pure: the Ready condition a node should carry now. `engine` is the engine status of the node's
 * last heartbeat: a live agent whose engine is unavailable cannot run anything, so the node is
 * not Ready. Unknown (older agents, no heartbeat yet since the controller started) counts as
 * available; a stale heartbeat makes its engine status stale too, so it is not consulted.
 */
export function nodeReadiness(lastHeartbeat: number | null, connected: boolean, now: number, graceMs: number, engine?: EngineHealth | null): ConditionInput {
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

/**
 * Pure: the Isolated condition, from the protections the agent's heartbeat says it leaves out
 * (`--measure-without`, benchmarks only), so `berth describe node` shows a node that must not
 * serve customers. undefined: not known yet (no beat on this stream), the condition stays.
 */
export function nodeIsolation(protectionsOff: readonly string[] | undefined): ConditionInput | undefined {
  if (protectionsOff === undefined) return undefined;
  if (protectionsOff.length === 0)
    return { type: 'Isolated', status: 'True', reason: 'AllProtections', message: 'tenant networks, isolation rules and container hardening in force' };
  return {
    type: 'Isolated',
    status: 'False',
    reason: 'ProtectionsOff',
    message: `left out for a measurement (--measure-without): ${protectionsOff.join(', ')}; this node must not run customers' containers`,
  };
}

/** Pure: since when the node has been unusable, for the evacuation grace (undefined: usable). */
export function unusableSince(ready: ConditionInput, conditions: Condition[], engine: EngineHealth | undefined, now: number): number | undefined {
  if (ready.status === 'True') return undefined;
  if (ready.reason === 'EngineUnavailable')
    return engine?.unavailableSinceMs || Date.parse(conditions.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '') || now;
  return 0; // heartbeats missed for a whole grace period already
}

export interface NodeReconcilerDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  graceMs: number;
  events: EventRecorder;
  isConnected: (nodeId: string) => boolean;
  /** The latest heartbeat this controller heard from the node, if any. */
  live: (nodeId: string) => { beatAt: number; engine?: EngineHealth; protectionsOff?: string[] } | undefined;
  /** The controller's start or the end of its last stall: heartbeat ages count from there. */
  resumedAt: () => number;
  /** Readiness as admission sees it. */
  setReady: (nodeId: string, ready: boolean) => void;
  /** How many nodes are NotReady, of how many (asked only before an evacuation). */
  readiness: () => { notReady: number; total: number };
  limiter: EvictionLimiter;
  /** Moves or fails a NotReady node's reservations (see evacuate-node.ts); absent: nothing moves. */
  evacuate?: (node: { id: string; name: string }) => Promise<number>;
}

/** What a reconcile reads of the node. */
const STORED_NODE = { id: true, name: true, lastHeartbeat: true, status: true } as const;
export type StoredNode = { id: string; name: string; lastHeartbeat: Date | null; status: unknown };
// A stream's first beat follows its registration within milliseconds; a note older than this
// was not used by it (the stream broke first) and is not trusted.
const WRITTEN_FRESH_MS = 5_000;
// Bounded by the nodes that register at once; a burst beyond it only costs reads.
const WRITTEN_MAX = 10_000;

/** What the fast path compares: the Ready condition and, once known, the Isolated one. */
function memoKey(ready: ConditionInput, isolation: ConditionInput | undefined, protectionsOff: readonly string[] | undefined): string {
  return JSON.stringify([ready.status, ready.reason, ready.message, isolation?.reason ?? null, protectionsOff ?? null]);
}

export class NodeReconciler {
  private readonly log: Logger;
  /** Per Ready node, the conditions it was last seen to carry in the store (memoKey). */
  private readonly stored = new Map<string, string>();
  /** Rows this controller just wrote (a stream's registration), read in place of the store once. */
  private readonly written = new Map<string, { row: StoredNode; at: number }>();

  constructor(private readonly deps: NodeReconcilerDeps) {
    this.log = deps.log.child({ component: 'node-reconciler' });
  }

  async reconcile(nodeId: string): Promise<ReconcileResult> {
    const { db, clock, graceMs } = this.deps;
    const now = clock.now();
    const live = this.deps.live(nodeId);
    const unchanged = this.unchangedSinceStored(nodeId, live, now);
    if (unchanged) return unchanged;
    const awaiting = this.awaitingFirstBeat(nodeId, live, now);
    if (awaiting) return awaiting;
    const node = this.takeWritten(nodeId, now) ?? (await db.node.findUnique({ where: { id: nodeId }, select: STORED_NODE }));
    if (!node) {
      this.stored.delete(nodeId);
      return undefined;
    }
    const heard = Math.max(live?.beatAt ?? 0, node.lastHeartbeat?.getTime() ?? 0) || null;
    // A controller that was down or stalled heard no heartbeats: a node Ready before gets a
    // grace period from the moment this controller could hear again.
    const resumed = this.deps.resumedAt();
    const beat = heard !== null && isNodeReady(node.status) ? Math.max(heard, resumed) : heard;
    const ready = nodeReadiness(beat, this.deps.isConnected(nodeId), now, graceMs, live?.engine);
    const status = (node.status ?? {}) as { conditions?: Condition[] };
    const before = status.conditions ?? [];
    const isolation = nodeIsolation(live?.protectionsOff);
    const conditions = isolation ? setCondition(setCondition(before, ready, now), isolation, now) : setCondition(before, ready, now);
    if (conditions !== before) {
      await db.node.updateMany({ where: { id: nodeId }, data: { status: { ...status, conditions } } });
      if (before.find((c) => c.type === 'Ready')?.status !== ready.status || before.find((c) => c.type === 'Ready')?.reason !== ready.reason) {
        const ok = ready.status === 'True';
        this.deps.events.record({
          kind: 'Node',
          objectId: nodeId,
          objectName: node.name,
          type: ok ? 'Normal' : 'Warning',
          reason: ok ? 'NodeReady' : ready.reason === 'EngineUnavailable' ? 'EngineUnavailable' : 'NodeNotReady',
          message: ready.message,
        });
        this.log.info({ node: node.name, ready: ready.status, reason: ready.reason }, 'node readiness changed');
      }
    }
    this.deps.setReady(nodeId, ready.status === 'True');
    if (ready.status === 'True') this.stored.set(nodeId, memoKey(ready, isolation, live?.protectionsOff));
    else this.stored.delete(nodeId);
    // Look again when the freshest heartbeat goes stale (Ready, or EngineUnavailable, turns HeartbeatMissed).
    const staleIn = beat !== null && now - beat < graceMs ? beat + graceMs - now : undefined;
    if (ready.status === 'True') return { requeueAfterMs: staleIn };
    const evacuation = await this.evacuateIfDue(node, ready, conditions, live?.engine, now, resumed);
    const dues = [staleIn, evacuation?.requeueAfterMs].filter((d): d is number => d !== undefined);
    return dues.length ? { requeueAfterMs: Math.min(...dues) } : undefined;
  }

  /**
   * The node's row as the registration of its stream wrote it (the write returns it): the
   * reconcile that the stream's first beat brings needs no read of its own (1,000 joining nodes:
   * 1,000 reads). Used once, and only while fresh; any later look reads the store.
   */
  noteWritten(node: StoredNode, at: number): void {
    if (this.written.size >= WRITTEN_MAX) this.written.clear();
    this.written.set(node.id, { row: node, at });
  }

  private takeWritten(nodeId: string, now: number): StoredNode | undefined {
    const note = this.written.get(nodeId);
    this.written.delete(nodeId);
    return note && now - note.at < WRITTEN_FRESH_MS ? note.row : undefined;
  }

  /**
   * The due look at a Ready node while its agent keeps beating decides nothing new: the fast path
   * answers it from memory, without a read per node per grace period (1,000 nodes: 50 reads a
   * second). Only while the live beat is fresh and gives the same conditions this reconciler last
   * stored; anything else (a stale beat, an engine or protections change, a restart) reads.
   */
  private unchangedSinceStored(nodeId: string, live: ReturnType<NodeReconcilerDeps['live']>, now: number): ReconcileResult | undefined {
    const memo = this.stored.get(nodeId);
    if (memo === undefined || !live || now - live.beatAt >= this.deps.graceMs) return undefined;
    const ready = nodeReadiness(live.beatAt, this.deps.isConnected(nodeId), now, this.deps.graceMs, live.engine);
    if (ready.status !== 'True' || memoKey(ready, nodeIsolation(live.protectionsOff), live.protectionsOff) !== memo) return undefined;
    this.deps.setReady(nodeId, true);
    return { requeueAfterMs: live.beatAt + this.deps.graceMs - now };
  }

  /**
   * A stream that registered but has not beaten yet: its first beat (which agents send at once)
   * brings the engine's health and the protections, and enqueues the node again. Deciding now
   * would write the conditions twice per join (1,000 joining nodes: 1,000 reads and writes more)
   * and Ready before the engine is known. Only for a grace period: a stream that never beats is
   * then judged on its registration as on a missed heartbeat.
   */
  private awaitingFirstBeat(nodeId: string, live: ReturnType<NodeReconcilerDeps['live']>, now: number): ReconcileResult | undefined {
    if (!live || live.protectionsOff !== undefined || !this.deps.isConnected(nodeId)) return undefined;
    const left = live.beatAt + this.deps.graceMs - now;
    return left > 0 ? { requeueAfterMs: left } : undefined;
  }

  private async evacuateIfDue(
    node: { id: string; name: string },
    ready: ConditionInput,
    conditions: Condition[],
    engine: EngineHealth | undefined,
    now: number,
    resumed: number,
  ): Promise<ReconcileResult> {
    const { graceMs } = this.deps;
    if (!this.deps.evacuate) return undefined;
    if (!shouldEvacuate(false, resumed, now, graceMs)) return { requeueAfterMs: resumed + graceMs - now };
    const since = unusableSince(ready, conditions, engine, now)!;
    if (now - since < graceMs) return { requeueAfterMs: since + graceMs - now };
    const counts = this.deps.readiness();
    const token = this.deps.limiter.take(counts.notReady, counts.total, now);
    if (!token.ok) {
      this.log.warn(
        { node: node.name, mode: token.mode, notReady: counts.notReady, nodes: counts.total, retryAfterMs: token.retryAfterMs },
        'evacuation held back: many nodes NotReady at once',
      );
      return { requeueAfterMs: token.retryAfterMs };
    }
    const moved = await this.deps.evacuate(node);
    if (moved > 0) this.log.warn({ node: node.name, reservations: moved }, 'evacuated NotReady node');
    return undefined;
  }
}
