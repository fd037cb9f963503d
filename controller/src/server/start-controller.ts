// Wires the controller: store, agent hub (gRPC), reconcilers, NAT backend and the REST API.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { openStore, type Store } from '../store/index.ts';
import { AgentHub, loadJoinToken, loadOrCreateAgentTls } from '../agents/index.ts';
import { createNatBackend, type NatBackend } from '../nat/index.ts';
import { evacuateNode, NodeReconciler, ReconcileLoop, ReservationReconciler } from '../reconcile/index.ts';
import { buildServer } from '../api/index.ts';
import type { ServiceContext } from '../services/index.ts';
import { systemClock, type Clock } from './clock.ts';
import { DEFAULT_CONFIG, type ControllerConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { Mutex } from './mutex.ts';
import { AdvisoryMutex } from './advisory-mutex.ts';
import { loadStorageNode, SshRemoteStorage, StorageJanitor } from '../storage/index.ts';
import { ChangeBus, LogBroker, MetricsRecorder, type Monitoring } from '../monitoring/index.ts';

export interface RunningController {
  config: ControllerConfig;
  url: string;
  grpcAddress: string;
  joinToken: string;
  store: Store;
  nat: NatBackend;
  /** Runs both reconcilers now and waits (tests and delete use it). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export type ControllerOptions = Partial<ControllerConfig> & { dataDir: string; log?: Logger; clock?: Clock };

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const config: ControllerConfig = { ...DEFAULT_CONFIG, ...stripUndefined(opts) } as ControllerConfig;
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ url: config.databaseUrl, dataDir: config.dataDir, log });
  // The agent stream is TLS with a certificate agents pin through their join token.
  const tls = await loadOrCreateAgentTls(config.dataDir, [config.publicAddress, config.grpcHost]);
  const { token: joinToken, secret: joinSecret } = await loadJoinToken(config.dataDir, tls.fingerprint, process.env.BERTH_JOIN_TOKEN);
  const nat = await createNatBackend({ mode: config.natMode, log, chainPrefix: config.natChainPrefix });

  let reservationLoop: ReconcileLoop | undefined;
  let nodeLoop: ReconcileLoop | undefined;
  let storageLoop: ReconcileLoop | undefined;
  const kick = () => { reservationLoop?.kick(); nodeLoop?.kick(); storageLoop?.kick(); };
  const storageNode = config.storage ? await loadStorageNode(config.storage) : undefined;
  const bus = new ChangeBus();
  let logs: LogBroker | undefined;
  const hub = new AgentHub({ db: store.db, log, clock, joinSecret, tls, heartbeatIntervalMs: config.heartbeatIntervalMs, onChange: kick, storage: storageNode, onLogChunk: (id, c) => logs?.onChunk(id, c), onSessionEnd: (id) => logs?.nodeLost(id), onHeartbeat: () => bus.notify('nodes'), onEngineChange: () => nodeLoop?.kick() });
  logs = new LogBroker(hub);
  const monitoring: Monitoring = { bus, logs, observed: (id) => hub.observed(id), connectedNodeIds: () => hub.connectedNodeIds() };
  const recorder = new MetricsRecorder({ db: store.db, log, clock, sampleIntervalMs: Number(process.env.BERTH_METRICS_SAMPLE_MS) || undefined, onSample: () => bus.notify('nodes') });
  const reservations = new ReservationReconciler({ db: store.db, log, clock, hub, nat, publicAddress: config.publicAddress, portRanges: config.portRanges });
  // With PostgreSQL several controllers may admit at once: serialize them with an advisory lock.
  const admission = store.provider === 'postgresql' && config.databaseUrl ? await AdvisoryMutex.connect(config.databaseUrl) : new Mutex();
  const evacuationDeps = { db: store.db, log, strategy: config.strategy, portRanges: config.portRanges };
  const evacuate = async (node: { id: string; name: string }) => {
    const r = await admission.run(() => evacuateNode(evacuationDeps, node, 'is NotReady', clock.now()));
    if (r.rescheduled.length + r.failed.length > 0) reservationLoop?.kick();
    return r.rescheduled.length + r.failed.length;
  };
  const nodes = new NodeReconciler({ db: store.db, log, clock, graceMs: config.nodeGraceMs, isConnected: (id) => hub.connectedNodeIds().includes(id), engineStatus: (id) => hub.engineStatus(id), evacuate });
  reservationLoop = new ReconcileLoop('reservations', () => reservations.pass().finally(() => bus.notify('reservations', 'containers')), clock, log);
  nodeLoop = new ReconcileLoop('nodes', () => nodes.pass().finally(() => bus.notify('nodes')), clock, log);
  if (config.storage) {
    const remote = new SshRemoteStorage(config.storage, path.join(config.dataDir, 'storage_known_hosts'));
    const janitor = new StorageJanitor({ db: store.db, log, clock, remote, nodes: { connected: (id) => hub.connectedNodeIds().includes(id), observed: (id) => hub.observed(id), connectedNodeIds: () => hub.connectedNodeIds() } });
    storageLoop = new ReconcileLoop('storage', () => janitor.pass(), clock, log);
  }
  const settle = async () => { await nodeLoop!.settle(); await reservationLoop!.settle(); storageLoop?.kick(); }; // ssh must not hold up API calls

  const ctx: ServiceContext = { db: store.db, log, clock, config, admission, kick, settle, monitoring };
  let ready = false;
  const app = buildServer(ctx, log, () => ready);
  const grpcPort = await hub.listen(config.grpcHost, config.grpcPort);
  await app.listen({ host: config.httpHost, port: config.httpPort });
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  await settle(); // restores NAT rules and node readiness from the database before serving
  ready = true;
  recorder.start();
  const url = `http://${config.httpHost}:${httpPort}`;
  log.info({ url, grpc: `${config.grpcHost}:${grpcPort}`, nat: nat.kind, provider: store.provider }, 'controller started');

  return {
    config: { ...config, httpPort, grpcPort },
    url,
    grpcAddress: `${config.grpcHost}:${grpcPort}`,
    joinToken,
    store,
    nat,
    settle,
    async stop() {
      ready = false;
      reservationLoop!.stop();
      nodeLoop!.stop();
      storageLoop?.stop();
      await recorder.stop();
      await app.close();
      await hub.close();
      await nat.close();
      if (admission instanceof AdvisoryMutex) await admission.close();
      await store.close();
      log.info('controller stopped');
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
