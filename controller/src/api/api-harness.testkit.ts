// The REST API in-process for unit tests: the real routes, services, admission and reservation
// reconciler on a SQLite store in a temp dir, with fakes only at the narrow ports the controller
// has towards the outside (the agent hub, the NAT backend, the clock). Requests go through
// fastify's inject(), so nothing listens, nothing needs root and nothing reaches Docker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerStatus, ExecRequestIn, LogsRequest } from '@berth/proto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { buildServer, type InstallRouteOptions } from './index.ts';
import { bootstrapAdmin, issueToken } from '../auth/index.ts';
import { AdmissionGuard, nodeShapeOf } from '../capacity/index.ts';
import { BerthError } from '../errors/index.ts';
import { EventRecorder } from '../events/index.ts';
import { ChangeBus, LogBroker, type Monitoring } from '../monitoring/index.ts';
import { ExecBroker } from '../exec/index.ts';
import type { NatEndpoint } from '../nat/index.ts';
import { NatTable } from '../nat/index.ts';
import { DEFAULT_PREPARE_LEAD_MS, ReservationReconciler } from '../reconcile/index.ts';
import { DEFAULT_CONFIG, type ControllerConfig } from '../settings/config.ts';
import { Mutex } from '../lib/mutex.ts';
import { createQueue, ImageCache, type CreateQueue, type ServiceContext } from '../services/index.ts';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** What the agent hub would report and was asked to do, kept in memory. */
export class FakeAgentHub {
  /** Per node: the containers its agent last reported (absent: not connected). */
  readonly observed = new Map<string, Map<string, ContainerStatus>>();
  readonly pushed: string[] = [];
  readonly revoked: string[] = [];
  /** Exec messages sent to nodes; a node is connected when it has an observed entry. */
  readonly execs: { nodeId: string; req: ExecRequestIn }[] = [];
  /** Log requests sent to nodes (connected ones, as for execs); answer them through monitoring.logs.onChunk. */
  readonly logRequests: { nodeId: string; req: LogsRequest }[] = [];
}

export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  clock: ManualClock;
  hub: FakeAgentHub;
  /** The endpoints the NAT backend was last told to serve. */
  nat: () => NatEndpoint[];
  reconciler: ReservationReconciler;
  /** The admission section and capacity index the routes use (a test may hold the section). */
  admission: AdmissionGuard;
  /** New reservations waiting for the next admission section. */
  creates: CreateQueue;
  /** Resolves with the next reservation the reconciler asks to reconcile again (after its NAT sync). */
  nextRequeue(): Promise<string>;
  /** Relays execs to hub.execs; feed it agent output with onOutput. */
  exec: ExecBroker;
  /** The change bus watches listen to (the controller notifies it after reconciles) and the log broker. */
  monitoring: Monitoring;
  adminToken: string;
  /** A customer with a fresh token. */
  customer(username: string): Promise<string>;
  /** A registered, Ready node, as an agent's registration and first heartbeat leave it. */
  addNode(name: string, size?: { cores?: number; memoryMiB?: number }): Promise<string>;
  /** Marks a node Ready or NotReady, in the store and in admission's index, as the node reconciler does. */
  setReady(nodeId: string, ready: boolean): Promise<void>;
  /** What /readyz reports: false while a controller is still starting. */
  setServing(ready: boolean): void;
  /** An in-process request, as `token`'s user when one is given. */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const START = Date.parse('2030-01-01T00:00:00Z');

/** `install` serves the /install routes (the one-line node join) with these options. */
export async function startApiHarness(overrides: Partial<ControllerConfig> = {}, install?: InstallRouteOptions): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-api-'));
  const log = pino({ level: 'silent' });
  const clock = new ManualClock(START);
  const config: ControllerConfig = { ...DEFAULT_CONFIG, ...overrides, dataDir: dir };
  const store = await openTestStore(dir);
  const hub = new FakeAgentHub();
  let natEndpoints: NatEndpoint[] = [];
  const nat = new NatTable(
    {
      sync: async (endpoints) => {
        natEndpoints = endpoints;
      },
    },
    0,
  );
  const events = new EventRecorder(store.db, log);
  const guard = new AdmissionGuard(store, new Mutex(), log, config.portRanges, DEFAULT_PREPARE_LEAD_MS, false);
  const reconciler = new ReservationReconciler({
    db: store.db,
    log,
    clock,
    guard,
    nat,
    events,
    publicAddress: config.publicAddress,
    observed: (id) => hub.observed.get(id),
    pushNode: (id) => hub.pushed.push(id),
    requeue: (id) => {
      const waiter = requeueWaiters.shift();
      if (waiter) waiter(id);
      else requeued.push(id);
    },
  });
  const requeued: string[] = [];
  const requeueWaiters: Array<(id: string) => void> = [];
  const nextRequeue = () => {
    const id = requeued.shift();
    return id !== undefined ? Promise.resolve(id) : new Promise<string>((resolve) => requeueWaiters.push(resolve));
  };
  const monitoring: Monitoring = {
    bus: new ChangeBus(),
    logs: new LogBroker({
      requestLogs: (nodeId, req) => {
        if (!hub.observed.has(nodeId)) return false;
        hub.logRequests.push({ nodeId, req });
        return true;
      },
    }),
    observed: (id) => hub.observed.get(id),
    connectedNodeIds: () => [...hub.observed.keys()],
    live: () => undefined,
  };
  // Reconciles run when the test says (reconciler.reconcile); a delete waits for its own, as in production.
  const reconcile = {
    reservation: () => undefined,
    reservationAt: () => undefined,
    node: () => undefined,
    reservationNow: async (id: string) => {
      await reconciler.reconcile(id);
    },
    push: (id: string) => {
      hub.pushed.push(id);
    },
  };
  const exec = new ExecBroker({
    sendExec: (nodeId, req) => {
      hub.execs.push({ nodeId, req });
      return hub.observed.has(nodeId);
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
    settle: () => events.flush(),
    monitoring,
    exec,
    agentCertFingerprint: 'ab'.repeat(32),
    agents: {
      // As the node identities do: an unknown name is NotFound and revokes nothing.
      revokeNode: async (name) => {
        const node = await store.db.node.findUnique({ where: { name } });
        if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
        hub.revoked.push(name);
        return node.id;
      },
    },
  };
  let serving = true;
  let closed = false;
  const app = buildServer(ctx, log, () => serving, undefined, install);
  await app.ready();
  const { token: adminToken } = await bootstrapAdmin(store.db, { now: clock.now() });
  return {
    app,
    call: (method, url, token, payload) => app.inject({ method, url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    store,
    clock,
    hub,
    reconciler,
    admission: guard,
    creates: ctx.creates,
    nextRequeue,
    exec,
    monitoring,
    adminToken,
    nat: () => natEndpoints,
    async customer(username) {
      const user = await store.db.user.create({ data: { username } });
      return issueToken(store.db, user.id, 'test', undefined, clock.now());
    },
    async addNode(name, size = {}) {
      const ready = {
        conditions: [{ type: 'Ready', status: 'True', reason: 'Heartbeat', message: '', lastTransitionTime: new Date(clock.now()).toISOString() }],
      };
      const node = await store.db.node.create({
        data: { name, address: '10.0.0.11', cores: size.cores ?? 4, memoryMiB: size.memoryMiB ?? 8192, status: ready, lastHeartbeat: new Date(clock.now()) },
      });
      guard.capacity.upsertNode(nodeShapeOf(node));
      return node.id;
    },
    async setReady(nodeId, ready) {
      const condition = {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        reason: ready ? 'Heartbeat' : 'NodeLost',
        message: '',
        lastTransitionTime: new Date(clock.now()).toISOString(),
      };
      await store.db.node.update({ where: { id: nodeId }, data: { status: { conditions: [condition] } } });
      guard.capacity.setReady(nodeId, ready);
    },
    setServing(ready) {
      serving = ready;
    },
    // Idempotent: a file's afterEach may close a harness a test already closed.
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await events.flush();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
