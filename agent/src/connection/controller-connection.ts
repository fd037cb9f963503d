import * as grpc from '@grpc/grpc-js';
import type pino from 'pino';
import { isIP } from 'node:net';
import {
  loadAgentService,
  STREAM_MAX_MESSAGE_BYTES,
  type AgentMessageIn,
  type AgentStream,
  type ContainerReport,
  type ControllerMessage,
  type DesiredState,
  type EngineStatus,
  type LogChunk,
  type LogsRequest,
  type ExecRequest,
  type ExecOutputIn,
  type NodeMetrics,
  type Register,
  type Registered,
} from '@berth/proto';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { withTimeout } from './with-timeout.ts';
import { PIN_MISMATCH, splitHostPort } from './pinned-credentials.ts';
import { renewalDelayMs, type ClientIdentity, type IdentityStore } from '../identity/index.ts';

export interface ConnectOptions {
  /** host:port of the controller's gRPC endpoint. */
  controller: string;
  /**
   * How to trust the controller, asked again until it answers (the controller may be down when
   * the agent starts). A failure is logged and retried with backoff.
   */
  credentials: (identity?: ClientIdentity) => Promise<grpc.ChannelCredentials> | grpc.ChannelCredentials;
  /**
   * The node identity. Without a valid certificate the agent registers with its join token and
   * public key, receives a certificate and reconnects with it; with one it sends no token.
   */
  identity?: IdentityStore;
  /** Built fresh on every (re)connect so capacity reflects the host at that time. */
  register: () => Promise<Register> | Register;
  metrics: () => Promise<NodeMetrics>;
  /** The engine's latest health, sent with every heartbeat; must answer at once (no engine call). */
  engine?: () => EngineStatus;
  /** Protections left out for a measurement, sent with every heartbeat (empty: all in force). */
  protectionsOff?: readonly string[];
  onRegistered?: (r: Registered) => void;
  onDesired: (d: DesiredState) => void;
  /** Container logs asked for by the controller; answer with sendLogChunk. */
  onLogs?: (r: LogsRequest) => void;
  /** Exec starts, input and cancels from the controller; answer with sendExecOutput. */
  onExec?: (r: ExecRequest) => void;
  /** The registered stream was lost: whatever it carried (execs) can no longer be answered. */
  onStreamLost?: () => void;
  log?: pino.Logger;
  backoff?: BackoffPolicy;
  /** Used when the controller does not say. */
  defaultHeartbeatIntervalMs?: number;
}

export interface ControllerConnection {
  /** Sends a report if the stream is registered; returns whether it was sent. */
  sendReport(report: ContainerReport): boolean;
  isRegistered(): boolean;
  /** Sends one chunk of a logs answer if the stream is registered; returns whether it was sent. */
  sendLogChunk(chunk: LogChunk): boolean;
  /** Sends exec output or its end if the stream is registered; returns whether it was sent. */
  sendExecOutput(output: ExecOutputIn): boolean;
  /**
   * Stops reconnecting and handing messages on, half-closes the stream and waits up to graceMs
   * (default 2000) for the controller to end it, then cancels it.
   */
  close(graceMs?: number): Promise<void>;
}

// Registration reads the host; a read that hangs must not keep the node away for good.
const REGISTER_TIMEOUT_MS = 10_000;
// A heartbeat proves the agent alive and carries the engine's health: a slow host read may cost
// it its metrics, never the beat itself.
const METRICS_TIMEOUT_MS = 2_000;
const CLOSE_GRACE_MS = 2_000;
// A renewal the controller did not answer is asked again this much later.
const RENEW_RETRY_MS = 60_000;
/** The server name sent when the controller is addressed by IP; the controller does not look at it. */
const SNI_NAME = 'berth-controller';

/** Keeps one Connect stream open to the controller, re-registering after every reconnect. */
export function connectToController(opts: ConnectOptions): ControllerConnection {
  const log = opts.log?.child({ component: 'connection' });
  const Service = loadAgentService();
  let client: grpc.Client | undefined;
  let clientCert: string | undefined;
  // One channel per certificate: a new certificate takes effect on the next (re)connect.
  const makeClient = async (identity?: ClientIdentity): Promise<grpc.Client> => {
    if (client && clientCert === identity?.certPem) return client;
    client?.close();
    client = undefined;
    clientCert = identity?.certPem;
    return (client = new Service(opts.controller, await opts.credentials(identity), {
      // Detects a controller that vanished without closing the TCP connection.
      'grpc.keepalive_time_ms': 15_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      // A node's whole desired set is one message, sized for this limit (not gRPC's 4 MiB).
      'grpc.max_receive_message_length': STREAM_MAX_MESSAGE_BYTES,
      // Its own subchannel pool: this channel shares its connection with nothing, and a process
      // holding many (the hollow fleet of bench:scale, 1,000 channels) would otherwise compare
      // every new channel's options with each pooled subchannel's (~1 s of CPU per 1,000 joins).
      'grpc.use_local_subchannel_pool': 1,
      // TLS would send an IP address as the server name (SNI), which RFC 6066 forbids and Node
      // warns about (DEP0123) at every start. The pin, not the name, verifies the controller.
      ...(isIP(splitHostPort(opts.controller).host) ? { 'grpc.ssl_target_name_override': SNI_NAME } : {}),
    }));
  };
  let stream: AgentStream | undefined;
  let registered = false;
  let closed = false;
  let attempt = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let renewal: NodeJS.Timeout | undefined;
  let usingIdentity = false;
  // A certificate being written: the next connect must wait for it, or it would join again.
  let saving: Promise<void> = Promise.resolve();
  // The stream that brought the first certificate ends by design: that is not a loss.
  let joinedOn: AgentStream | undefined;

  const stopRenewal = (): void => {
    if (renewal) clearTimeout(renewal);
    renewal = undefined;
  };

  const scheduleRenewal = (s: AgentStream, id: ClientIdentity): void => {
    stopRenewal();
    const ask = (): void => {
      if (stream !== s || !registered) return;
      log?.info({ expiresAt: new Date(id.notAfterMs).toISOString() }, 'asking for a new node certificate');
      s.write({ renew: {} } satisfies AgentMessageIn);
      renewal = setTimeout(ask, RENEW_RETRY_MS);
    };
    renewal = setTimeout(ask, Math.min(renewalDelayMs(id, Date.now()), 2 ** 31 - 1));
  };

  const onIdentity = async (s: AgentStream, pem: string): Promise<void> => {
    try {
      const id = await opts.identity!.save(pem);
      log?.info({ expiresAt: new Date(id.notAfterMs).toISOString() }, 'node certificate received');
      // A first certificate: the controller ends this stream and we come back with it at once.
      if (!registered) joinedOn = s;
      else scheduleRenewal(s, id);
    } catch (err) {
      log?.error({ err: err instanceof Error ? err.message : String(err) }, 'node certificate unusable');
    }
  };

  const stopHeartbeat = (): void => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
  };

  const beat = async (s: AgentStream, intervalMs: number): Promise<void> => {
    let metrics: NodeMetrics | null = null;
    try {
      metrics = await withTimeout(opts.metrics(), Math.min(METRICS_TIMEOUT_MS, intervalMs), 'reading host metrics');
    } catch (err) {
      log?.warn({ err: String(err) }, 'metrics unavailable; heartbeat sent without them');
    }
    if (stream === s && registered)
      s.write({ heartbeat: { metrics, engine: opts.engine?.() ?? null, protectionsOff: [...(opts.protectionsOff ?? [])] } } satisfies AgentMessageIn);
  };

  // The first beat goes at once: the controller decides a joining node's readiness on it (the
  // engine's health and the protections come with it), not on the registration alone.
  const startHeartbeat = (s: AgentStream, intervalMs: number): void => {
    stopHeartbeat();
    void beat(s, intervalMs);
    heartbeat = setInterval(() => void beat(s, intervalMs), intervalMs);
  };

  const onMessage = (s: AgentStream, msg: ControllerMessage): void => {
    if (closed || stream !== s) return; // closing: take no more work
    if (msg.registered) {
      registered = true;
      attempt = 0;
      if (usingIdentity)
        void opts.identity?.current().then((id) => {
          if (id) scheduleRenewal(s, id);
        });
      const r = msg.registered;
      log?.info({ nodeId: r.nodeId, controller: opts.controller }, 'registered with controller');
      startHeartbeat(s, r.heartbeatIntervalMs > 0 ? r.heartbeatIntervalMs : (opts.defaultHeartbeatIntervalMs ?? 5_000));
      opts.onRegistered?.(r);
    } else if (msg.desired) {
      opts.onDesired(msg.desired);
    } else if (msg.logs) {
      opts.onLogs?.(msg.logs);
    } else if (msg.exec) {
      opts.onExec?.(msg.exec);
    } else if (msg.identity && opts.identity) {
      saving = onIdentity(s, msg.identity.certificatePem);
    }
  };

  const lost = (s: AgentStream, why: string): void => {
    if (stream !== s) return;
    stream = undefined;
    if (registered) opts.onStreamLost?.();
    registered = false;
    stopHeartbeat();
    stopRenewal();
    if (closed) return;
    // Decided once a certificate in flight is written: whether this end was the join's.
    void saving.then(() => {
      if (closed) return;
      if (joinedOn === s && why === 'stream ended') {
        joinedOn = undefined;
        log?.info({ controller: opts.controller }, 'joined: connecting with the node certificate');
        reconnect = setTimeout(() => void open(), 0);
        return;
      }
      const delay = backoffDelay(attempt++, opts.backoff ?? DEFAULT_BACKOFF);
      log?.warn({ controller: opts.controller, why, delayMs: delay }, 'controller stream lost, reconnecting');
      reconnect = setTimeout(() => void open(), delay);
    });
  };

  const open = async (): Promise<void> => {
    reconnect = undefined;
    if (closed) return;
    let hello: Register;
    let c: grpc.Client;
    let identity: ClientIdentity | undefined;
    try {
      await saving;
      identity = await opts.identity?.current();
      c = await makeClient(identity);
    } catch (err) {
      log?.error({ controller: opts.controller, err: err instanceof Error ? err.message : String(err) }, 'cannot set up TLS to the controller');
      return scheduleRetry();
    }
    try {
      hello = await withTimeout(Promise.resolve(opts.register()), REGISTER_TIMEOUT_MS, 'reading the host for registration');
    } catch (err) {
      log?.error({ err: String(err) }, 'cannot build registration');
      return scheduleRetry();
    }
    if (closed) return;
    if (opts.identity) {
      try {
        // The certificate says who we are: the token is not sent again once we have one.
        hello = identity ? { ...hello, joinToken: '' } : { ...hello, publicKey: await opts.identity.publicKey() };
      } catch (err) {
        log?.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot read or make the node key');
        return scheduleRetry();
      }
    }
    usingIdentity = !!identity;
    const s = (c as unknown as { Connect(): AgentStream }).Connect();
    stream = s;
    s.on('data', (msg: ControllerMessage) => onMessage(s, msg));
    s.on('error', (err: grpc.ServiceError) => {
      // A wrong join token will not fix itself, but the operator may fix the controller side:
      // say so loudly and keep retrying with backoff.
      const why = err.details || err.message;
      if (err.code === grpc.status.UNAUTHENTICATED)
        log?.error(
          { controller: opts.controller, why },
          usingIdentity ? 'controller refused this agent: its node identity is not accepted' : 'controller refused this agent: check the join token',
        );
      else if (err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.INVALID_ARGUMENT)
        log?.error({ controller: opts.controller, why }, 'controller refused this agent');
      // The connection's TLS refused the controller's certificate (pinned-credentials.ts).
      else if (err.code === grpc.status.UNAVAILABLE && why.includes(PIN_MISMATCH))
        log?.error({ controller: opts.controller, why }, 'cannot establish trust in the controller');
      lost(s, `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`);
    });
    s.on('end', () => lost(s, 'stream ended'));
    s.write({ register: hello } satisfies AgentMessageIn);
  };

  const scheduleRetry = (): void => {
    if (closed) return;
    reconnect = setTimeout(() => void open(), backoffDelay(attempt++, opts.backoff ?? DEFAULT_BACKOFF));
  };

  void open();

  return {
    sendReport(report) {
      if (!stream || !registered) return false;
      stream.write({ report } satisfies AgentMessageIn);
      return true;
    },
    isRegistered: () => registered,
    sendLogChunk(logChunk) {
      if (!stream || !registered) return false;
      stream.write({ logChunk } satisfies AgentMessageIn);
      return true;
    },
    sendExecOutput(execOutput) {
      if (!stream || !registered) return false;
      stream.write({ execOutput } satisfies AgentMessageIn);
      return true;
    },
    async close(graceMs = CLOSE_GRACE_MS) {
      closed = true;
      if (reconnect) clearTimeout(reconnect);
      stopHeartbeat();
      stopRenewal();
      const s = stream;
      stream = undefined;
      registered = false;
      if (s) await endWithin(s, graceMs);
      client?.close();
    },
  };
}

/**
 * Half-closes so the controller sees a clean end, waits for its answer up to graceMs (a stopped or
 * unreachable controller never answers), then cancels.
 */
async function endWithin(s: AgentStream, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    s.once('status', () => resolve());
    s.once('error', () => resolve());
    s.end();
  });
  clearTimeout(timer);
  s.cancel();
}
