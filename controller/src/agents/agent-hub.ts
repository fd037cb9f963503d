// The controller's side of the agent stream. It keeps one session per connected node, records
// heartbeats and reported container states, and pushes each node's full desired container set.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadAgentService, parseJoinToken, type AgentMessage, type ContainerSpec, type ContainerStatus, type ControllerStream, type EngineStatus, type StorageNode, type LogChunk, type LogsRequest } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import type { Clock } from '../server/clock.ts';
import { recordEvent } from '../events/index.ts';
import { registerProblem } from './validate-register.ts';

interface Session {
  nodeId: string;
  nodeName: string;
  call: ControllerStream;
  lastSent?: string;
  /** undefined until the agent's first report on this stream: observation unknown. */
  containers?: Map<string, ContainerStatus>;
}

export interface AgentHubOptions {
  db: Db;
  log: Logger;
  clock: Clock;
  /** The secret part of the join token; agents send the whole token. */
  joinSecret: string;
  /** Certificate and key the stream is served with (see agent-tls.ts); there is no plaintext mode. */
  tls: { cert: string; key: string };
  heartbeatIntervalMs: number;
  /** Called whenever something an agent said may change desired or observed state. */
  onChange: () => void;
  /** Handed to every agent on register (carries the storage key: never log it). */
  storage?: StorageNode;
  /** Chunks of container logs an agent streams back (see requestLogs). */
  onLogChunk?: (nodeId: string, chunk: LogChunk) => void;
  /** After each recorded heartbeat (monitoring, live dashboards). */
  onHeartbeat?: (nodeId: string) => void;
  /** A node's stream closed or was replaced: what was asked on it will never be answered. */
  onSessionEnd?: (nodeId: string) => void;
  /** A heartbeat changed the node's engine availability or message (see engineStatus). */
  onEngineChange?: (nodeId: string) => void;
}

export class AgentHub {
  private readonly sessions = new Map<string, Session>();
  /** Heartbeat.engine of each node's last heartbeat; kept across reconnects until the next beat replaces it. */
  private readonly engines = new Map<string, EngineStatus>();
  private server?: grpc.Server;
  private versionSeq = 0;
  private readonly log: Logger;

  constructor(private readonly opts: AgentHubOptions) {
    this.log = opts.log.child({ component: 'agent-hub' });
  }

  async listen(host: string, port: number): Promise<number> {
    const server = new grpc.Server();
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
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    });
  }

  connectedNodeIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** The engine status of the node's last heartbeat; undefined before one since this controller started. */
  engineStatus(nodeId: string): EngineStatus | undefined {
    return this.engines.get(nodeId);
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
    this.log.debug({ node: session.nodeName, containers: containers.length, version: this.versionSeq }, 'desired state pushed');
  }

  /** Asks the node's agent for logs (or to cancel a follow); false when the node is not connected. */
  requestLogs(nodeId: string, request: LogsRequest): boolean {
    const session = this.sessions.get(nodeId);
    if (!session) return false;
    session.call.write({ logs: request });
    return true;
  }

  private handle(call: ControllerStream): void {
    let session: Session | undefined;
    // Messages of one stream are handled strictly in order: a report must not overtake register.
    let queue = Promise.resolve();
    call.on('data', (msg: AgentMessage) => {
      queue = queue
        .then(async () => { session = (await this.onMessage(call, msg, session)) ?? session; })
        .catch((err) => this.log.error({ err, node: session?.nodeName }, 'agent message failed'));
    });
    const drop = () => {
      if (session && this.sessions.get(session.nodeId) === session) {
        this.sessions.delete(session.nodeId);
        this.log.info({ node: session.nodeName }, 'agent disconnected');
        this.opts.onSessionEnd?.(session.nodeId);
        this.opts.onChange();
      }
    };
    call.on('end', () => { drop(); call.end(); });
    call.on('error', drop);
    call.on('cancelled', drop);
  }

  private async onMessage(call: ControllerStream, msg: AgentMessage, session: Session | undefined): Promise<Session | undefined> {
    if (!session) return this.register(call, msg);
    if (this.sessions.get(session.nodeId) !== session) return undefined; // replaced by a newer stream
    if (msg.heartbeat) {
      const m = msg.heartbeat.metrics;
      // A beat without metrics (the host read timed out) keeps the last ones.
      await this.opts.db.node.update({ where: { id: session.nodeId }, data: { lastHeartbeat: new Date(this.opts.clock.now()), ...(m ? { metrics: { ...m } } : {}) } });
      this.recordEngine(session, msg.heartbeat.engine);
      this.opts.onHeartbeat?.(session.nodeId);
    } else if (msg.logChunk) {
      this.opts.onLogChunk?.(session.nodeId, msg.logChunk);
    } else if (msg.report) {
      session.containers = new Map(msg.report.containers.map((c) => [c.reservationId, c]));
      this.opts.onChange();
    }
    return undefined;
  }

  private recordEngine(session: Session, engine: EngineStatus | null | undefined): void {
    // Older agents send none: their engine counts as available.
    const next = engine ?? { available: true, message: '', unavailableSinceMs: 0 };
    const prev = this.engines.get(session.nodeId);
    this.engines.set(session.nodeId, next);
    if (prev?.available === next.available && prev.message === next.message) return;
    if (prev || !next.available) this.log.info({ node: session.nodeName, available: next.available, why: next.message || undefined }, 'node engine status changed');
    this.opts.onEngineChange?.(session.nodeId);
  }

  private async register(call: ControllerStream, msg: AgentMessage): Promise<Session | undefined> {
    const r = msg.register;
    if (!r || !this.tokenMatches(r.joinToken)) {
      this.log.warn({ node: r?.nodeName, peer: call.getPeer() }, 'agent refused: invalid join token');
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'invalid join token' });
      return undefined;
    }
    const problem = registerProblem(r);
    if (problem) {
      this.log.warn({ node: r.nodeName, problem }, 'agent refused: invalid registration');
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: problem });
      return undefined;
    }
    const now = new Date(this.opts.clock.now());
    const data = { address: r.address, cores: r.cores, memoryMiB: Math.floor(r.memoryBytes / 1048576), lastHeartbeat: now };
    const node = await this.opts.db.node.upsert({ where: { name: r.nodeName }, create: { name: r.nodeName, ...data }, update: data });
    const previous = this.sessions.get(node.id);
    if (previous) {
      previous.call.end(); // a reconnect replaces the old stream
      this.opts.onSessionEnd?.(node.id);
    }
    const session: Session = { nodeId: node.id, nodeName: node.name, call };
    this.sessions.set(node.id, session);
    call.write({ registered: { nodeId: node.id, heartbeatIntervalMs: this.opts.heartbeatIntervalMs, ...(this.opts.storage ? { storage: this.opts.storage } : {}) } });
    this.log.info({ node: node.name, address: r.address, cores: r.cores, memoryMiB: data.memoryMiB }, 'agent registered');
    await recordEvent(this.opts.db, { kind: 'Node', objectId: node.id, objectName: node.name, reason: 'Registered', message: `agent ${r.agentVersion || ''} connected from ${r.address}`.replace('  ', ' ') });
    this.opts.onChange();
    return session;
  }

  private credentials(): grpc.ServerCredentials {
    const { tls } = this.opts;
    return grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false);
  }

  /** Compares only the secret: the fingerprint was the agent's to check. */
  private tokenMatches(given: string): boolean {
    const secret = parseJoinToken(given ?? '')?.secret ?? given ?? '';
    const a = createHash('sha256').update(secret).digest();
    const b = createHash('sha256').update(this.opts.joinSecret).digest();
    return timingSafeEqual(a, b);
  }
}
