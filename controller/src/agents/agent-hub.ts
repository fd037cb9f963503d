// The controller's side of the agent stream. It keeps one session per connected node, records
// heartbeats and reported container states, and pushes each node's full desired container set.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  loadAgentService,
  parseJoinToken,
  STREAM_MAX_MESSAGE_BYTES,
  type AgentMessage,
  type ContainerSpec,
  type ContainerStatus,
  type ControllerStream,
  type StorageNode,
  type LogChunk,
  type LogsRequest,
  type ExecOutput,
  type ExecRequestIn,
} from '@berth/proto';
import { isRecordNotFound, type PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { EventRecorder } from '../events/index.ts';
import { BerthError } from '../errors/index.ts';
import { registerProblem } from './validate-register.ts';
import { normalizeStorageKey } from '../storage/storage-account.ts';
import { afterPush, learn, splitReport, type Ownership } from './report-ownership.ts';
import { LogThrottle } from './log-throttle.ts';
import { streamServerCredentials } from './stream-credentials.ts';
import { admitAgent, nameHeld, peerIdentity, peerIp, type NodeIdentities, type PeerIdentity } from '../node-identity/index.ts';

const FOREIGN_REPORT_LOG_INTERVAL_MS = 60_000;
// Signing is cheap but not free: a stream gets at most one renewal per 10 s.
const RENEW_MIN_INTERVAL_MS = 10_000;

/** What the latest heartbeat of a node said; kept in memory, stored only now and then. */
export interface LiveNode {
  beatAt: number;
  metrics: Record<string, number>;
  /** The node's container engine as the agent last saw it (absent from older agents). */
  engine?: { available: boolean; message: string; unavailableSinceMs?: number };
  /** Isolation protections the agent leaves out for a measurement; unknown until the first beat. */
  protectionsOff?: string[];
}

const PROTECTION_NAME = /^[a-z][a-z-]{0,31}$/;

/** A node's word on its protections, bounded: a few short names, sorted, anything else dropped. */
export function protectionsOff(names: readonly string[] | undefined): string[] {
  return [...new Set((names ?? []).slice(0, 8).filter((n) => PROTECTION_NAME.test(n)))].sort();
}

interface Session {
  nodeId: string;
  nodeName: string;
  call: ControllerStream;
  lastSent?: string;
  /** undefined until the agent's first report on this stream: observation unknown. */
  containers?: Map<string, ContainerStatus>;
  /** Which reservations this node may report on (see report-ownership.ts). */
  ownership: Ownership;
  /** The public key of the node certificate the stream was opened with (renewals are for it). */
  spkiDer: Buffer;
  lastRenewAt?: number;
}

export interface AgentHubOptions {
  db: Db;
  log: Logger;
  clock: Clock;
  /**
   * Checks the secret part of a join token (agents send the whole token): a bootstrap token that
   * exists, matches, and is neither expired nor revoked.
   */
  checkJoinToken: (secret: string) => Promise<{ ok: true; id: string } | { ok: false; refusal: 'invalid' | 'expired' | 'revoked'; id?: string }>;
  /** Certificate and key the stream is served with (see agent-tls.ts); there is no plaintext mode. */
  tls: { cert: string; key: string };
  /** Issues, renews and revokes node certificates (Berth's CA); client certificates must chain to it. */
  identities: NodeIdentities;
  /** Agents reach the controller through NAT: the address they register need not be their source. */
  agentsBehindNat: boolean;
  heartbeatIntervalMs: number;
  /** Batched event writes (a fleet registering at once is a thousand events). */
  events: Pick<EventRecorder, 'record'>;
  /**
   * A node registered, disconnected, or its engine's health changed: reconcile the node.
   * `resend`: its desired set must go out again (a new stream, or an engine back from or gone
   * into failure), not for what only the first beat of a stream makes known.
   */
  onNodeChange: (nodeId: string, change: { resend: boolean }) => void;
  /**
   * The node's report changed what is observed for these reservations (`all`: the first report
   * on a stream, whose reservations are not known from before: reconcile all of the node's).
   */
  onObserved: (nodeId: string, reservationIds: string[], all: boolean) => void;
  /** The storage node and the node's own account there, handed to each agent on register. */
  storage?: (nodeName: string) => StorageNode;
  /** Chunks of container logs an agent streams back (see requestLogs). */
  onLogChunk?: (nodeId: string, chunk: LogChunk) => void;
  /** Output and ends of execs an agent runs (see sendExec). */
  onExecOutput?: (nodeId: string, output: ExecOutput) => void;
  /** After each heartbeat (readiness, monitoring, live dashboards). */
  onHeartbeat?: (nodeId: string) => void;
  /** A node (re)registered with this shape: capacity follows it. */
  onRegistered?: (node: RegisteredNode) => void;
  /** A node's stream closed or was replaced: what was asked on it will never be answered. */
  onSessionEnd?: (nodeId: string) => void;
}

/** A node's row as its stream's registration wrote it. */
export interface RegisteredNode {
  id: string;
  name: string;
  cores: number;
  memoryMiB: number;
  cordoned: boolean;
  status: unknown;
  lastHeartbeat: Date | null;
}

export class AgentHub {
  private readonly sessions = new Map<string, Session>();
  private readonly live = new Map<string, LiveNode>();
  private server?: grpc.Server;
  private versionSeq = 0;
  private readonly log: Logger;
  private readonly foreignReports = new LogThrottle(FOREIGN_REPORT_LOG_INTERVAL_MS);

  constructor(private readonly opts: AgentHubOptions) {
    this.log = opts.log.child({ component: 'agent-hub' });
  }

  async listen(host: string, port: number): Promise<number> {
    // Desired sets are sized for this; what agents send keeps gRPC's default 4 MiB limit.
    const server = new grpc.Server({ 'grpc.max_send_message_length': STREAM_MAX_MESSAGE_BYTES, 'grpc.enable_channelz': 0 });
    server.addService(loadAgentService().service, { connect: (call: ControllerStream) => this.handle(call) });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, this.credentials(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    return bound;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) s.call.end();
    this.sessions.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  connectedNodeIds(): string[] {
    return [...this.sessions.keys()];
  }

  isConnected(nodeId: string): boolean {
    return this.sessions.has(nodeId);
  }

  /** The node's latest heartbeat as received by this controller since it started. */
  liveNode(nodeId: string): LiveNode | undefined {
    return this.live.get(nodeId);
  }

  liveNodes(): ReadonlyMap<string, LiveNode> {
    return this.live;
  }

  /** The node's last report: undefined when it has not reported since it (re)connected. */
  observed(nodeId: string): ReadonlyMap<string, ContainerStatus> | undefined {
    return this.sessions.get(nodeId)?.containers;
  }

  /** Sends the desired set if it differs from what this session last received. */
  push(nodeId: string, containers: ContainerSpec[]): void {
    const session = this.sessions.get(nodeId);
    if (!session) return;
    const digest = createHash('sha256').update(JSON.stringify(containers)).digest('hex');
    if (digest === session.lastSent) return;
    // Versions only grow, across controller restarts too, because they start from the clock.
    this.versionSeq = Math.max(this.versionSeq + 1, this.opts.clock.now());
    session.call.write({ desired: { version: this.versionSeq, containers } });
    session.lastSent = digest;
    session.ownership = afterPush(
      session.ownership,
      containers.map((c) => c.reservationId),
      session.containers?.keys() ?? [],
    );
    this.log.debug({ node: session.nodeName, containers: containers.length, version: this.versionSeq }, 'desired state pushed');
  }

  /** Ends the node's stream at once with this reason (its identity was revoked). */
  disconnect(nodeId: string, details: string): void {
    const session = this.sessions.get(nodeId);
    if (!session) return;
    this.log.warn({ node: session.nodeName, details }, 'agent stream closed');
    session.call.emit('error', { code: grpc.status.UNAUTHENTICATED, details });
  }

  /** Asks the node's agent for logs (or to cancel a follow); false when the node is not connected. */
  requestLogs(nodeId: string, request: LogsRequest): boolean {
    const session = this.sessions.get(nodeId);
    if (!session) return false;
    session.call.write({ logs: request });
    return true;
  }

  /** Opens, feeds or ends an exec on the node; false when the node is not connected. */
  sendExec(nodeId: string, request: ExecRequestIn): boolean {
    const session = this.sessions.get(nodeId);
    if (!session) return false;
    session.call.write({ exec: request });
    return true;
  }

  private handle(call: ControllerStream): void {
    let session: Session | undefined;
    // Messages of one stream are handled strictly in order: a report must not overtake register.
    let queue = Promise.resolve();
    call.on('data', (msg: AgentMessage) => {
      queue = queue
        .then(async () => {
          session = (await this.onMessage(call, msg, session)) ?? session;
        })
        .catch((err) => this.log.error({ err, node: session?.nodeName }, 'agent message failed'));
    });
    const drop = () => {
      if (session && this.sessions.get(session.nodeId) === session) {
        this.sessions.delete(session.nodeId);
        this.log.info({ node: session.nodeName }, 'agent disconnected');
        this.opts.onSessionEnd?.(session.nodeId);
        this.opts.onNodeChange(session.nodeId, { resend: false });
      }
    };
    call.on('end', () => {
      drop();
      call.end();
    });
    call.on('error', drop);
    call.on('cancelled', drop);
  }

  private async onMessage(call: ControllerStream, msg: AgentMessage, session: Session | undefined): Promise<Session | undefined> {
    if (!session) return this.register(call, msg);
    if (this.sessions.get(session.nodeId) !== session) return undefined; // replaced by a newer stream
    if (msg.heartbeat) {
      this.beat(session.nodeId, msg.heartbeat);
    } else if (msg.logChunk) {
      this.opts.onLogChunk?.(session.nodeId, msg.logChunk);
    } else if (msg.execOutput) {
      this.opts.onExecOutput?.(session.nodeId, msg.execOutput);
    } else if (msg.renew) {
      await this.renew(session);
    } else if (msg.report) {
      const before = session.containers;
      const accepted = await this.ownReports(session, msg.report.containers);
      if (this.sessions.get(session.nodeId) !== session) return undefined;
      session.containers = new Map(accepted.map((c) => [c.reservationId, c]));
      const changed = before ? changedReservations(before, session.containers) : [...session.containers.keys()];
      if (!before || changed.length > 0) this.opts.onObserved(session.nodeId, changed, !before);
    }
    return undefined;
  }

  /**
   * The entries of a report about reservations placed on this node; the rest (another node's, or
   * made up) are dropped and logged, at most once a minute per node.
   */
  private async ownReports(session: Session, containers: readonly ContainerStatus[]): Promise<ContainerStatus[]> {
    const split = splitReport(containers, session.ownership);
    if (split.unknown.length > 0) {
      const rows = await this.opts.db.reservation.findMany({ where: { id: { in: split.unknown }, nodeId: session.nodeId }, select: { id: true } });
      const mine = new Set(rows.map((r) => r.id));
      learn(session.ownership, split.unknown, mine);
      for (const c of containers) if (mine.has(c.reservationId)) split.accepted.push(c);
      split.rejected.push(...split.unknown.filter((id) => !mine.has(id)));
    }
    if (split.rejected.length > 0) {
      const said = this.foreignReports.take(session.nodeId, this.opts.clock.now());
      if (said)
        this.log.warn(
          {
            node: session.nodeName,
            ignored: split.rejected.length,
            reservations: split.rejected.slice(0, 5).map((id) => id.slice(0, 64)),
            heldBack: said.held,
          },
          'report about reservations not on this node ignored',
        );
    }
    return split.accepted;
  }

  /** Memory only: the store gets heartbeats at a coarse interval (see HeartbeatFlusher). */
  private beat(nodeId: string, heartbeat: NonNullable<AgentMessage['heartbeat']>): void {
    const engine = heartbeat.engine ?? undefined;
    const before = this.live.get(nodeId);
    const off = protectionsOff(heartbeat.protectionsOff);
    this.live.set(nodeId, {
      beatAt: this.opts.clock.now(),
      metrics: { ...(heartbeat.metrics ?? {}) } as Record<string, number>,
      ...(engine ? { engine: { ...engine } } : {}),
      protectionsOff: off,
    });
    const engineChanged = engine !== undefined && before?.engine?.available !== engine.available;
    // The first beat of a stream makes the engine known; the desired set went out at registration.
    const engineFlipped = engineChanged && before?.engine !== undefined;
    if (engineChanged) this.log.info({ node: nodeId, engineAvailable: engine.available, message: engine.message }, 'node engine health changed');
    // Known only from the first beat of a stream on (undefined before): that beat reconciles once.
    const offChanged = before?.protectionsOff?.join(',') !== off.join(',');
    if (offChanged && off.length) this.log.warn({ node: nodeId, protectionsOff: off }, 'node runs with isolation protections off');
    if (engineChanged || offChanged) this.opts.onNodeChange(nodeId, { resend: engineFlipped });
    this.opts.onHeartbeat?.(nodeId);
  }

  private refuse(call: ControllerStream, code: grpc.status, details: string, fields: Record<string, unknown>, reason: string): undefined {
    this.log.warn({ ...fields, peer: call.getPeer() }, `agent refused: ${reason}`);
    call.emit('error', { code, details });
    return undefined;
  }

  /** Opens a session for a node certificate; answers a bootstrap token with a certificate and ends. */
  private async register(call: ControllerStream, msg: AgentMessage): Promise<Session | undefined> {
    const r = msg.register ?? undefined;
    const problem = registerProblem(r);
    if (!r || problem)
      return this.refuse(
        call,
        grpc.status.INVALID_ARGUMENT,
        problem ?? 'first message must be register',
        { node: r?.nodeName, problem },
        'invalid registration',
      );
    const peer = peerIdentity(call);
    if (peer) {
      // A certificate's stream, the common case: the check that this key still holds the name
      // rides on the session's own write, which matches only while it does. Only a stream that
      // would be refused reads the row (below), to say why.
      const presumed = admitAgent({ ...this.certificateFacts(call, r, peer), node: { identityKeyHash: peer.keyHash, identityExpiresAt: null } });
      const session = presumed.kind === 'session' ? await this.openSession(call, r, peer) : undefined;
      if (session) return session;
    }
    const token = peer
      ? ({ ok: false, refusal: 'invalid' } as const)
      : await this.opts.checkJoinToken(parseJoinToken(r.joinToken ?? '')?.secret ?? r.joinToken ?? '');
    const now = this.opts.clock.now();
    // A join is decided without reading the name's row: the claim's conditional write refuses a
    // name another live identity holds (a joining node's name is new: one statement, not two).
    // A refused certificate reads it, to say why.
    const existing = peer
      ? await this.opts.db.node.findUnique({ where: { name: r.nodeName }, select: { identityKeyHash: true, identityExpiresAt: true } })
      : null;
    const decision = admitAgent({
      nodeName: r.nodeName,
      address: r.address,
      peerIp: peerIp(call.getPeer()),
      agentsBehindNat: this.opts.agentsBehindNat,
      peer,
      token,
      publicKeyGiven: !!r.publicKey,
      node: existing,
      now,
    });
    if (decision.kind === 'refuse')
      return this.refuse(
        call,
        grpc.status[decision.status],
        decision.details,
        { node: r.nodeName, tokenId: !token.ok && 'id' in token ? token.id : undefined },
        decision.reason,
      );
    if (decision.kind === 'issue') return this.issueIdentity(call, r);
    // The identity was replaced or revoked between the read and the write (else the fast path above took it).
    return (
      (await this.openSession(call, r, peer!)) ??
      this.refuse(call, grpc.status.UNAUTHENTICATED, 'node identity changed', { node: r.nodeName }, 'identity revoked or replaced')
    );
  }

  private certificateFacts(call: ControllerStream, r: NonNullable<AgentMessage['register']>, peer: PeerIdentity) {
    return {
      nodeName: r.nodeName,
      address: r.address,
      peerIp: peerIp(call.getPeer()),
      agentsBehindNat: this.opts.agentsBehindNat,
      peer,
      token: { ok: false, refusal: 'invalid' } as const,
      publicKeyGiven: !!r.publicKey,
      now: this.opts.clock.now(),
    };
  }

  private async issueIdentity(call: ControllerStream, r: NonNullable<AgentMessage['register']>): Promise<undefined> {
    const memoryMiB = Math.floor(r.memoryBytes / 1048576);
    let identity: Awaited<ReturnType<NodeIdentities['claim']>>;
    try {
      identity = await this.opts.identities.claim(
        { nodeName: r.nodeName, publicKeyPem: r.publicKey!, address: r.address, cores: r.cores, memoryMiB, nameExists: false },
        this.opts.clock.now(),
      );
    } catch (err) {
      if (!(err instanceof BerthError) || err.code !== 'Invalid') throw err;
      return this.refuse(call, grpc.status.INVALID_ARGUMENT, err.message, { node: r.nodeName }, 'invalid public key');
    }
    if (!identity) {
      const held = nameHeld(r.nodeName);
      return this.refuse(call, grpc.status[held.status], held.details, { node: r.nodeName }, held.reason);
    }
    call.write({ identity });
    call.end(); // the agent comes back with its certificate
    return undefined;
  }

  /** Opens the stream's session, if the certificate's key still holds the node's name (else undefined, nothing written). */
  private async openSession(
    call: ControllerStream,
    r: NonNullable<AgentMessage['register']>,
    peer: PeerIdentity & { spkiDer: Buffer },
  ): Promise<Session | undefined> {
    const now = new Date(this.opts.clock.now());
    const storageKey = r.storagePublicKey ? normalizeStorageKey(r.storagePublicKey) : undefined;
    // A node that sent no key keeps the one it had; a new key is installed by the storage reconciler.
    const data = {
      address: r.address,
      cores: r.cores,
      memoryMiB: Math.floor(r.memoryBytes / 1048576),
      lastHeartbeat: now,
      ...(storageKey ? { storagePublicKey: storageKey } : {}),
    };
    const node = await this.opts.db.node
      .update({
        where: { name: r.nodeName, identityKeyHash: peer.keyHash },
        data,
        select: { id: true, name: true, cores: true, memoryMiB: true, cordoned: true, status: true, lastHeartbeat: true },
      })
      .catch((err: unknown) => {
        if (isRecordNotFound(err)) return undefined;
        throw err;
      });
    if (!node) return undefined;
    this.live.set(node.id, { beatAt: now.getTime(), metrics: {} });
    const previous = this.sessions.get(node.id);
    if (previous) {
      previous.call.end(); // a reconnect replaces the old stream
      this.opts.onSessionEnd?.(node.id);
    }
    const session: Session = { nodeId: node.id, nodeName: node.name, call, ownership: { owned: new Set(), foreign: new Set() }, spkiDer: peer.spkiDer };
    this.sessions.set(node.id, session);
    call.write({
      registered: {
        nodeId: node.id,
        heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
        ...(this.opts.storage ? { storage: this.opts.storage(node.name) } : {}),
      },
    });
    this.log.info({ node: node.name, address: r.address, cores: r.cores, memoryMiB: data.memoryMiB }, 'agent registered');
    this.opts.events.record({
      kind: 'Node',
      objectId: node.id,
      objectName: node.name,
      reason: 'Registered',
      message: `agent ${r.agentVersion || ''} connected from ${r.address}`.replace('  ', ' '),
    });
    this.opts.onRegistered?.(node);
    this.opts.onNodeChange(node.id, { resend: true });
    return session;
  }

  private async renew(session: Session): Promise<void> {
    const now = this.opts.clock.now();
    if (session.lastRenewAt !== undefined && now - session.lastRenewAt < RENEW_MIN_INTERVAL_MS) return;
    session.lastRenewAt = now;
    const identity = await this.opts.identities.renew(session.nodeId, session.nodeName, session.spkiDer, now);
    if (identity && this.sessions.get(session.nodeId) === session) session.call.write({ identity });
  }

  private credentials(): grpc.ServerCredentials {
    return streamServerCredentials(this.opts.tls, this.opts.identities.caPem);
  }
}

/** What the controller acts on in a container report; usage figures change every report and do not count. */
function essence(c: ContainerStatus): string {
  return JSON.stringify([c.generation, c.containerId, c.state, c.health, c.restartCount, c.message, c.startedAtMs, c.mounts ?? []]);
}

/** Reservations whose observed container appeared, vanished or changed between two reports. */
export function changedReservations(before: ReadonlyMap<string, ContainerStatus>, after: ReadonlyMap<string, ContainerStatus>): string[] {
  const changed: string[] = [];
  for (const [id, c] of after) {
    const old = before.get(id);
    if (!old || essence(old) !== essence(c)) changed.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) changed.push(id);
  return changed;
}
