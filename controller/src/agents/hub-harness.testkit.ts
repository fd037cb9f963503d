// The controller's AgentHub on a loopback gRPC port (TLS, a SQLite store, Berth's CA) with the
// agent's own connection code joining it: the real stream, for tests that need one. The clock,
// the heartbeat interval and the callbacks are the test's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { connectToController, MemoryIdentityStore, pinnedCredentials, type ControllerConnection } from '@berth/agent';
import type { DesiredState, EngineStatus, Registered } from '@berth/proto';
import { checkBootstrapToken, createBootstrapToken } from '../bootstrap/index.ts';
import type { Clock } from '../lib/clock.ts';
import { NodeIdentities } from '../node-identity/index.ts';
import { loadOrCreateCa } from '../pki/index.ts';
import type { Store } from '../store/index.ts';
import { openTestStore } from '../store/test-store.testkit.ts';
import { AgentHub, type AgentHubOptions } from './agent-hub.ts';
import { loadOrCreateAgentTls } from './agent-tls.ts';

type Callbacks = Partial<Pick<AgentHubOptions, 'onNodeChange' | 'onObserved' | 'onHeartbeat'>>;

export interface HubHarness {
  hub: AgentHub;
  store: Store;
  /** An agent that joins with a bootstrap token as `nodeName`; resolves once its certificate's stream is registered. */
  join(
    nodeName: string,
    onDesired: (d: DesiredState) => void,
    opts?: { engine?: () => EngineStatus },
  ): Promise<{ agent: ControllerConnection; registered: Registered; registrations: () => number }>;
  close(): Promise<void>;
}

export async function startHubHarness(opts: { clock: Clock; heartbeatIntervalMs?: number; log?: Logger } & Callbacks): Promise<HubHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hub-'));
  const store = await openTestStore(dir);
  const tls = await loadOrCreateAgentTls(dir, []);
  const silent = pino({ level: 'silent' });
  const hub = new AgentHub({
    db: store.db,
    log: opts.log ?? silent,
    clock: opts.clock,
    tls,
    // Join tokens on real time. The hub issues node certificates on the test's clock, which must
    // therefore stay near real time for TLS to accept them.
    checkJoinToken: (secret) => checkBootstrapToken(store.db, secret, Date.now()),
    identities: new NodeIdentities(store.db, await loadOrCreateCa(dir), 3_600_000, silent),
    agentsBehindNat: false,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 60_000,
    events: { record: () => {} },
    onNodeChange: opts.onNodeChange ?? (() => {}),
    onObserved: opts.onObserved ?? (() => {}),
    onHeartbeat: opts.onHeartbeat,
  });
  const address = `127.0.0.1:${await hub.listen('127.0.0.1', 0)}`;
  const agents: ControllerConnection[] = [];
  return {
    hub,
    store,
    async join(nodeName, onDesired, joinOpts = {}) {
      const joinSecret = (await createBootstrapToken(store.db, { ttlMs: 60_000, now: Date.now() })).secret;
      let registrations = 0;
      let agent!: ControllerConnection;
      const registered = await new Promise<Registered>((resolve) => {
        agent = connectToController({
          controller: address,
          credentials: (id) => pinnedCredentials(tls.fingerprint, id),
          identity: new MemoryIdentityStore(),
          register: () => ({ nodeName, address: '127.0.0.1', cores: 2, memoryBytes: 2 ** 30, joinToken: joinSecret, agentVersion: 'test' }),
          metrics: async () => ({ memoryTotalBytes: 1, memoryFreeBytes: 1, load1: 0, load5: 0, load15: 0, uptimeSeconds: 1 }),
          onRegistered: (r) => {
            registrations++;
            resolve(r);
          },
          onDesired,
          ...(joinOpts.engine ? { engine: joinOpts.engine } : {}),
        });
        agents.push(agent);
      });
      return { agent, registered, registrations: () => registrations };
    },
    async close() {
      for (const a of agents) await a.close(500);
      await hub.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
