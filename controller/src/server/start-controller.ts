// Wires the controller: store, agent hub (gRPC), reconcilers, NAT backend and the REST API.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { openStore, type Store } from '../store/index.ts';
import { AgentHub } from '../agents/index.ts';
import { createNatBackend, type NatBackend } from '../nat/index.ts';
import { NodeReconciler, ReconcileLoop, ReservationReconciler } from '../reconcile/index.ts';
import { buildServer } from '../api/index.ts';
import type { ServiceContext } from '../services/index.ts';
import { systemClock, type Clock } from './clock.ts';
import { DEFAULT_CONFIG, type ControllerConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { Mutex } from './mutex.ts';

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

/** Reads DATA_DIR/join-token, creating it on first start so agents can join across restarts. */
async function loadJoinToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'join-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const token = randomBytes(24).toString('base64url');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const config: ControllerConfig = { ...DEFAULT_CONFIG, ...stripUndefined(opts) } as ControllerConfig;
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ url: config.databaseUrl, dataDir: config.dataDir, log });
  const joinToken = process.env.BERTH_JOIN_TOKEN ?? (await loadJoinToken(config.dataDir));
  const nat = await createNatBackend({ mode: config.natMode, log, chainPrefix: config.natChainPrefix });

  let reservationLoop: ReconcileLoop | undefined;
  let nodeLoop: ReconcileLoop | undefined;
  const kick = () => { reservationLoop?.kick(); nodeLoop?.kick(); };
  const hub = new AgentHub({ db: store.db, log, clock, joinToken, heartbeatIntervalMs: config.heartbeatIntervalMs, onChange: kick });
  const reservations = new ReservationReconciler({ db: store.db, log, clock, hub, nat, publicAddress: config.publicAddress, portRanges: config.portRanges });
  const nodes = new NodeReconciler({ db: store.db, log, clock, graceMs: config.nodeGraceMs, isConnected: (id) => hub.connectedNodeIds().includes(id) });
  reservationLoop = new ReconcileLoop('reservations', () => reservations.pass(), clock, log);
  nodeLoop = new ReconcileLoop('nodes', () => nodes.pass(), clock, log);
  const settle = async () => { await nodeLoop!.settle(); await reservationLoop!.settle(); };

  const ctx: ServiceContext = { db: store.db, log, clock, config, admission: new Mutex(), kick, settle };
  let ready = false;
  const app = buildServer(ctx, log, () => ready);
  const grpcPort = await hub.listen(config.grpcHost, config.grpcPort);
  await app.listen({ host: config.httpHost, port: config.httpPort });
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  await settle(); // restores NAT rules and node readiness from the database before serving
  ready = true;
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
      await app.close();
      await hub.close();
      await nat.close();
      await store.close();
      log.info('controller stopped');
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
