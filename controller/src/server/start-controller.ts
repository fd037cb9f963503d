// Wires the controller: store, agent hub (gRPC), reconcilers, NAT backend and the REST API.
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { openStore, securePrivateDataDir, type Store } from '../store/index.ts';
import { AgentHub, HeartbeatFlusher, loadOrCreateAgentTls } from '../agents/index.ts';
import { BootstrapTokenCache, checkBootstrapToken, ensureJoinTokenFile, TokenUses } from '../bootstrap/index.ts';
import { loadOrCreateCa } from '../pki/index.ts';
import { NodeIdentities } from '../node-identity/index.ts';
import { createNatBackend, NatTable, type NatBackend } from '../nat/index.ts';
import {
  DEFAULT_PREPARE_LEAD_MS,
  DesiredPublisher,
  EvacuationBatcher,
  evacuateNodes,
  EvictionLimiter,
  NodeReconciler,
  ReconcileLoop,
  ReservationReconciler,
  WorkQueue,
} from '../reconcile/index.ts';
import { AdmissionGuard, nodeShapeOf } from '../capacity/index.ts';
import { EventRecorder } from '../events/index.ts';
import { ExecBroker } from '../exec/index.ts';
import { PUBLISHED_PHASE, TERMINAL_PHASES } from '../domain/index.ts';
import { buildServer } from '../api/index.ts';
import { AgentBundleSource } from '../install/index.ts';
import { createQueue, ImageCache, type ServiceContext } from '../services/index.ts';
import { AUTH_CHANGE_CHANNEL, PrincipalCache } from '../auth/index.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { DEFAULT_CONFIG, type ControllerConfig } from '../settings/config.ts';
import { createLogger } from './logger.ts';
import { Mutex } from '../lib/mutex.ts';
import { loadApiTls } from './api-tls.ts';
import { assertApiTlsAllowed } from '../settings/api-tls-settings.ts';
import { AdvisoryMutex } from '../lib/advisory-mutex.ts';
import { AccessReconciler, checkStorageKey, SshStorageAdmin, StorageJanitor, storageNodeFor } from '../storage/index.ts';
import { ChangeBus, LogBroker, LoopMonitor, MetricsRecorder, type Monitoring } from '../monitoring/index.ts';
import { addressJudgeSource, DEFAULT_RETRY_POLICY, WebhookDispatcher, WebhookNotifier } from '../webhooks/index.ts';

export interface RunningController {
  config: ControllerConfig;
  url: string;
  /** The CA a client of the API should trust (PEM); undefined over plain HTTP or with an operator's certificate from a public CA. */
  caPem?: string;
  grpcAddress: string;
  joinToken: string;
  store: Store;
  nat: NatBackend;
  /** Waits until every queued reconcile has run (tests and dev use it). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export type ControllerOptions = Partial<ControllerConfig> & { dataDir: string; log?: Logger; clock?: Clock };

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const config: ControllerConfig = { ...DEFAULT_CONFIG, ...stripUndefined(opts) } as ControllerConfig;
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  assertApiTlsAllowed(config.apiTls, config.httpHost); // before anything is opened or written
  securePrivateDataDir(config.dataDir, log); // it holds the store, tokens and keys
  // V8 reads this flag at every full GC, so setting it now (not only on the command line) counts.
  if (config.heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);
  const store = await openStore({ url: config.databaseUrl, dataDir: config.dataDir, log });
  // The agent stream is TLS with a certificate agents pin through their join token.
  const tls = await loadOrCreateAgentTls(config.dataDir, [config.publicAddress, config.grpcHost]);
  const joinToken = await ensureJoinTokenFile({
    db: store.db,
    dataDir: config.dataDir,
    fingerprint: tls.fingerprint,
    ttlMs: config.joinTokenTtlMs,
    now: clock.now(),
    log,
    fromEnv: config.joinToken,
  });
  // Node identities: client certificates from Berth's CA (DATA_DIR/pki).
  const identities = new NodeIdentities(store.db, await loadOrCreateCa(config.dataDir, log), config.nodeCertTtlMs, log.child({ component: 'node-identity' }));
  const apiTls = await loadApiTls(config.apiTls, { dataDir: config.dataDir, host: config.httpHost, publicAddress: config.publicAddress, log });
  const natBackend = await createNatBackend({ mode: config.natMode, log, chainPrefix: config.natChainPrefix });

  if (config.storage) await checkStorageKey(config.storage);
  const storageSettings = config.storage;
  const bus = new ChangeBus();
  const events = new EventRecorder(store.db, log.child({ component: 'events' }));
  // Lifecycle webhooks: the notifier hears every recorded event and fills the outbox; the
  // dispatcher delivers it, one lane per webhook.
  const judge = addressJudgeSource(store.db, { allow: config.webhooks.allowNetworks, publicAddress: config.publicAddress, now: () => clock.now() });
  const dispatcher = new WebhookDispatcher({
    db: store.db,
    log,
    clock,
    policy: { ...DEFAULT_RETRY_POLICY, baseMs: config.webhooks.retryBaseMs, maxAttempts: config.webhooks.maxAttempts },
    timeoutMs: config.webhooks.timeoutMs,
    maxResponseBytes: 4096,
    judge,
  });
  const notifier = new WebhookNotifier({ db: store.db, log, clock, publicAddress: config.publicAddress, wake: (id) => dispatcher.wake(id) });
  events.subscribe(notifier.onEvent);
  const loopMonitor = new LoopMonitor(clock, log.child({ component: 'loop-monitor' }));
  // With PostgreSQL several controllers may admit at once: serialize them with an advisory lock.
  const mutex = store.provider === 'postgresql' && config.databaseUrl ? await AdvisoryMutex.connect(config.databaseUrl) : new Mutex();
  const guard = new AdmissionGuard(
    store,
    mutex,
    log.child({ component: 'admission' }),
    config.portRanges,
    DEFAULT_PREPARE_LEAD_MS,
    mutex instanceof AdvisoryMutex,
  );

  // One queue per kind of object, reconciled by key (see reconcile/work-queue.ts).
  let queues: Queues | undefined;
  let storageLoop: ReconcileLoop | undefined;
  let logs: LogBroker | undefined;
  let execs: ExecBroker | undefined;
  const tokenUses = new TokenUses();
  // Join token rows, answered from memory only while PostgreSQL reports their changes (below).
  const joinTokens = new BootstrapTokenCache();
  const hub = new AgentHub({
    db: store.db,
    log,
    clock,
    tls,
    checkJoinToken: (secret) => checkBootstrapToken(store.db, secret, clock.now(), tokenUses, joinTokens),
    identities,
    agentsBehindNat: config.agentsBehindNat,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    events,
    storage: storageSettings ? (name) => storageNodeFor(storageSettings, name) : undefined,
    // A new node only adds capacity: no need to wait for the admission section.
    onRegistered: (n) => {
      guard.capacity.upsertNode(nodeShapeOf(n, guard.capacity.node(n.id)?.ready ?? false));
      nodes.noteWritten(n, clock.now()); // the first beat's reconcile reads this row, not the store
      storageLoop?.kick(); // its storage key may be new
    },
    onNodeChange: (id, { resend }) => {
      queues?.nodes.add(id);
      if (resend) queues?.push.add(id);
    },
    onObserved: (id, reservations, all) => {
      for (const r of reservations) queues?.reservations.add(r);
      if (all)
        void reservationsOn(store.db, id).then((ids) => {
          for (const r of ids) queues?.reservations.add(r);
        });
      storageLoop?.kick();
    },
    // A heartbeat from a node not Ready (as admission last saw it) may make it Ready.
    onHeartbeat: (id) => {
      if (!guard.capacity.node(id)?.ready) queues?.nodes.add(id);
      bus.notify('nodes');
    },
    onLogChunk: (id, c) => logs?.onChunk(id, c),
    onExecOutput: (id, o) => execs?.onOutput(id, o),
    onSessionEnd: (id) => {
      logs?.nodeLost(id);
      execs?.nodeLost(id);
    },
  });
  logs = new LogBroker(hub);
  execs = new ExecBroker(hub, config.exec);
  const heartbeats = new HeartbeatFlusher(
    store.db,
    store.provider,
    () => hub.liveNodes(),
    Math.max(1000, Math.floor(config.nodeGraceMs / 2)),
    log.child({ component: 'heartbeats' }),
  );
  const monitoring: Monitoring = {
    bus,
    logs,
    observed: (id) => hub.observed(id),
    connectedNodeIds: () => hub.connectedNodeIds(),
    live: (id) => hub.liveNode(id),
    openMetrics: (id) => recorder.openBucket(id),
    loop: loopMonitor,
    queues: () => (queues ? { ...queues } : undefined),
    storeStatements: () => store.statements(),
  };
  const recorder = new MetricsRecorder({
    db: store.db,
    log,
    clock,
    live: (id) => hub.liveNode(id),
    sampleIntervalMs: config.metricsSampleMs,
    onSample: () => bus.notify('nodes'),
  });
  const nat = new NatTable(natBackend, undefined, log.child({ component: 'nat' }));
  const reservations = new ReservationReconciler({
    db: store.db,
    log,
    clock,
    guard,
    nat,
    events,
    publicAddress: config.publicAddress,
    observed: (id) => hub.observed(id),
    pushNode: (id) => queues?.push.add(id),
    requeue: (id) => queues?.reservations.add(id),
    onEnded: () => storageLoop?.kick(),
    plan: { pullFailureTimeoutMs: config.pullFailureTimeoutMs },
  });
  const evacuations = new EvacuationBatcher(async (lost) => {
    const r = await guard.run(() => evacuateNodes({ db: store.db, log, strategy: config.strategy, guard, events }, lost, 'is NotReady', clock.now()));
    for (const { id } of [...r.rescheduled, ...r.failed]) queues?.reservations.add(id);
    // Only a node that gains a container now needs its set again: a moved reservation that has
    // not been prepared is not in any desired set yet (at 1,000 nodes, ~800 needless pushes per 100 lost).
    for (const { toNodeId, desired } of r.rescheduled) if (desired) queues?.push.add(toNodeId);
    for (const node of lost) queues?.push.add(node.id);
    return r;
  });
  const evacuate = (node: { id: string; name: string }) => evacuations.evacuate(node);
  const nodes = new NodeReconciler({
    db: store.db,
    log,
    clock,
    graceMs: config.nodeGraceMs,
    events,
    isConnected: (id) => hub.isConnected(id),
    live: (id) => hub.liveNode(id),
    resumedAt: () => loopMonitor.resumedAt(),
    setReady: (id, ready) => guard.capacity.setReady(id, ready),
    readiness: () => {
      const all = guard.capacity.candidates();
      return { notReady: all.filter((n) => !n.ready).length, total: all.length };
    },
    limiter: new EvictionLimiter(config.disruption, clock.now()),
    evacuate,
  });
  const publisher = new DesiredPublisher({
    db: store.db,
    isConnected: (id) => hub.isConnected(id),
    push: (id, c) => hub.push(id, c),
    onUngranted: () => storageLoop?.kick(),
    relationJoins: store.provider === 'postgresql',
  });
  const notifyReservations = () => bus.notify('reservations', 'containers');
  queues = {
    reservations: new WorkQueue({ name: 'reservations', log, clock, concurrency: 16, handler: (id) => reservations.reconcile(id).finally(notifyReservations) }),
    // Nodes due together (a lost rack) wait on one evacuation pass: enough workers for them to meet there.
    nodes: new WorkQueue({ name: 'nodes', log, clock, concurrency: 16, handler: (id) => nodes.reconcile(id).finally(() => bus.notify('nodes')) }),
    push: new WorkQueue({ name: 'desired-sets', log, clock, concurrency: 8, handler: (id) => publisher.publish(id) }),
  };
  if (config.storage) {
    const admin = new SshStorageAdmin(config.storage, path.join(config.dataDir, 'storage_known_hosts'));
    const access = new AccessReconciler({ db: store.db, log, clock, admin, onGranted: (id) => queues?.push.add(id) });
    const janitor = new StorageJanitor({
      db: store.db,
      log,
      clock,
      admin,
      nodes: { connected: (id) => hub.isConnected(id), observed: (id) => hub.observed(id), connectedNodeIds: () => hub.connectedNodeIds() },
    });
    storageLoop = new ReconcileLoop('storage', async () => earliest(await access.pass(), await janitor.pass()), clock, log);
  }
  const q = queues;
  const settle = async () => {
    await events.flush();
    // Reconciling one kind enqueues another (a reservation pushes its node): until all are idle.
    for (let round = 0; round < 5; round++) {
      await q.nodes.idle();
      await q.reservations.idle();
      await q.push.idle();
      if (q.nodes.depth + q.reservations.depth + q.push.depth === 0) break;
    }
    storageLoop?.kick(); // ssh must not hold up API calls
  };
  const reconcile = {
    reservation: (id: string) => q.reservations.add(id),
    reservationAt: (id: string, at: number) => q.reservations.addAfter(id, at - clock.now()),
    reservationNow: (id: string) => q.reservations.reconcileNow(id),
    node: (id: string) => q.nodes.add(id),
    push: (id: string) => q.push.add(id),
  };

  // Bearer token -> user, answered from memory only while PostgreSQL reports token and user changes
  // (and join tokens likewise: the same notices cover them).
  const principals = new PrincipalCache();
  const authNotices = store.listen?.(AUTH_CHANGE_CHANNEL, {
    notice: () => {
      principals.forgetAll();
      joinTokens.forgetAll();
    },
    live: (live) => {
      principals.setLive(live);
      joinTokens.setLive(live);
    },
  });

  const ctx: ServiceContext = {
    db: store.db,
    log,
    clock,
    config,
    admission: guard,
    creates: createQueue(guard),
    reconcile,
    events,
    images: new ImageCache(store.db, () => clock.now()),
    principals,
    settle,
    monitoring,
    exec: execs,
    agentCertFingerprint: tls.fingerprint,
    notifications: { judge, webhooksChanged: () => notifier.webhooksChanged() },
    agents: {
      revokeNode: async (name) => {
        const id = await identities.revoke(name, clock.now());
        hub.disconnect(id, `node identity of "${name}" was revoked`);
        return id;
      },
    },
  };
  let ready = false;
  let grpcPort = config.grpcPort;
  const install = { source: new AgentBundleSource(), grpcPort: () => grpcPort, fingerprint: tls.fingerprint, caPem: apiTls?.caPem };
  const app = buildServer(ctx, log, () => ready, apiTls, install);
  loopMonitor.start();
  // Rebuild what lives in memory from the store before anything can change it.
  await guard.run(async () => undefined);
  await restoreNat(store.db, reservations, nat);
  grpcPort = await hub.listen(config.grpcHost, config.grpcPort);
  await app.listen({ host: config.httpHost, port: config.httpPort });
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  for (const id of await activeReservationIds(store.db)) q.reservations.add(id);
  for (const n of await store.db.node.findMany({ select: { id: true } })) q.nodes.add(n.id);
  await settle(); // node readiness and due transitions from the database before serving
  ready = true;
  recorder.start();
  heartbeats.start();
  notifier.start();
  await dispatcher.start(); // deliveries a previous run left pending
  const url = `${apiTls ? 'https' : 'http'}://${urlHost(config.httpHost)}:${httpPort}`;
  log.info({ url, grpc: `${config.grpcHost}:${grpcPort}`, nat: natBackend.kind, provider: store.provider }, 'controller started');

  return {
    config: { ...config, httpPort, grpcPort },
    url,
    caPem: apiTls?.caPem,
    grpcAddress: `${config.grpcHost}:${grpcPort}`,
    joinToken,
    store,
    nat: natBackend,
    settle,
    async stop() {
      // Stop taking work, let what is in flight finish (or give up on it), close the streams,
      // and close the store last: nothing may still be using it.
      ready = false;
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const left = () => Math.max(100, deadline - Date.now());
      storageLoop?.stop();
      await Promise.all([q.reservations.shutdown(left()), q.nodes.shutdown(left()), q.push.shutdown(left())]);
      await withDeadline(recorder.stop(), left());
      execs.closeAll('the controller is shutting down: exec ended');
      await withDeadline(app.close(), left());
      await withDeadline(hub.close(), left());
      await withDeadline(
        heartbeats.flush().then(() => heartbeats.stop()),
        left(),
      );
      await withDeadline(events.flush(), left());
      await withDeadline(notifier.stop(), left());
      await dispatcher.stop(left());
      await withDeadline(natBackend.close(), left());
      await withDeadline(guard.close(), left());
      loopMonitor.stop();
      await withDeadline(authNotices?.close() ?? Promise.resolve(), left());
      await withDeadline(store.close(), left());
      log.info('controller stopped');
    },
  };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Waits for p, at most ms; a deadline passed is logged by the caller's overall timer. */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

interface Queues {
  reservations: WorkQueue;
  nodes: WorkQueue;
  push: WorkQueue;
}

async function activeReservationIds(db: Store['db']): Promise<string[]> {
  const rows = await db.reservation.findMany({ where: { phase: { notIn: [...TERMINAL_PHASES] } }, select: { id: true } });
  return rows.map((r) => r.id);
}

async function reservationsOn(db: Store['db'], nodeId: string): Promise<string[]> {
  const rows = await db.reservation.findMany({ where: { nodeId, phase: { notIn: [...TERMINAL_PHASES] } }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** The rules of every Running reservation, applied once before anything else changes them. */
async function restoreNat(db: Store['db'], reservations: ReservationReconciler, nat: NatTable): Promise<void> {
  const rows = await db.reservation.findMany({
    where: { phase: PUBLISHED_PHASE },
    select: { id: true, nodeId: true, ports: true, node: { select: { address: true, name: true } } },
  });
  for (const r of rows) nat.set(r.id, reservations.endpoints(r as never));
  await nat.flush();
}

/** IPv6 literals are bracketed in URLs. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
