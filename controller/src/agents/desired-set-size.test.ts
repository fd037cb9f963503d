// The largest desired set a node can be given, over a real stream: the controller's AgentHub
// (gRPC server, TLS) and the agent's own connection code. A node holds at most
// MAX_RESERVATIONS_PER_NODE reservations, each at most what the manifest limits allow; that set
// must arrive whole, on the first stream, without a reconnect.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentService, STREAM_MAX_MESSAGE_BYTES, type ContainerSpec, type DesiredState } from '@berth/proto';
import { MAX_RESERVATIONS_PER_NODE } from '../capacity/index.ts';
import {
  ENV_MAX_ENTRIES,
  ENV_MAX_TOTAL_BYTES,
  ENV_NAME_MAX_CHARS,
  validateManifest,
  type ImageSpecInput,
  type ReservationSpecInput,
} from '../manifests/index.ts';
import { desiredContainers } from '../reconcile/desired-containers.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { systemClock } from '../lib/clock.ts';
import { startHubHarness, type HubHarness } from './hub-harness.testkit.ts';

const GRPC_DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/** ENV_MAX_ENTRIES names of ENV_NAME_MAX_CHARS characters, the values filling ENV_MAX_TOTAL_BYTES. */
function maximalEnv(tag: string): Record<string, string> {
  const names = Array.from({ length: ENV_MAX_ENTRIES }, (_, i) => `${tag}${String(i).padStart(3, '0')}`.padEnd(ENV_NAME_MAX_CHARS, 'N'));
  const room = ENV_MAX_TOTAL_BYTES - names.join('').length;
  const env = Object.fromEntries(names.map((n, i) => [n, 'v'.repeat(Math.floor(room / names.length) + (i < room % names.length ? 1 : 0))]));
  return env;
}

/** The largest image and reservations the API accepts, as the controller turns them into specs. */
function maximalSet(count: number): ContainerSpec[] {
  const image = validateManifest({
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: 'i'.repeat(63) },
    spec: {
      ref: `registry.example:5000/${'r'.repeat(200)}:${'t'.repeat(29)}`.slice(0, 255),
      ports: Array.from({ length: 16 }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}${'x'.repeat(12)}`, port: 1000 + i })),
      resources: { cores: '256', memory: '1024Gi' },
      dataPath: `/${'d'.repeat(254)}`,
      env: maximalEnv('IMG'),
    },
  }).spec as ImageSpecInput;
  const reservations = Array.from({ length: count }, (_, i) => {
    const name = `${String(i).padStart(3, '0')}-${'n'.repeat(59)}`;
    const spec = validateManifest({
      apiVersion: 'berth/v1',
      kind: 'Reservation',
      metadata: { name },
      spec: { image: 'i'.repeat(63), duration: '30d', profile: 'remote', cores: '255999m', memory: '1024Gi', env: maximalEnv('RES') },
    }).spec as ReservationSpecInput;
    const ports = image.ports.map((p, k) => ({
      id: randomUUID(),
      reservationId: 'x',
      name: p.name,
      containerPort: p.port,
      nodeId: 'n',
      nodePort: 20000 + k,
      natPort: 30000 + i * 16 + k,
      createdAt: new Date(),
    }));
    return {
      id: randomUUID(),
      ownerId: 'tenant',
      name,
      generation: 2_000_000_000,
      milliCores: 255_999,
      memoryMiB: 1024 * 1024,
      startAt: new Date(),
      spec,
      ports,
      image,
    };
  });
  return desiredContainers(reservations, 'fd00:1234:5678:9abc:def0:1234:5678:9abc');
}

let h: HubHarness;
const desired: DesiredState[] = [];
let node: Awaited<ReturnType<HubHarness['join']>>;

beforeAll(async () => {
  h = await startHubHarness({ clock: systemClock });
  node = await h.join('big-node', (d) => desired.push(d));
});

afterAll(async () => {
  await h?.close();
});

describe('desired set size', () => {
  it("delivers a node's largest allowed desired set whole over the real stream, which gRPC's default 4 MiB limit would refuse", async () => {
    const containers = maximalSet(MAX_RESERVATIONS_PER_NODE);
    const bytes = loadAgentService().service.Connect.responseSerialize({ desired: { version: 1, containers } }).length;
    expect(bytes).toBeGreaterThan(GRPC_DEFAULT_MAX_RECEIVE);
    // Room to spare for fields added later (the tenant, limits): at least a quarter of the limit.
    expect(bytes).toBeLessThan(STREAM_MAX_MESSAGE_BYTES * 0.75);

    const id = node.registered.nodeId;
    h.hub.push(id, containers);
    await waitFor(() => desired.length > 0, { timeoutMs: 20_000, what: 'the desired set' });
    const got = desired[0].containers;
    expect(got).toHaveLength(MAX_RESERVATIONS_PER_NODE);
    expect(got.map((c) => c.env)).toEqual(containers.map((c) => c.env));
    expect(got.map((c) => [c.name, c.image, c.milliCpus, c.dataPath, c.ports.length])).toEqual(
      containers.map((c) => [c.name, c.image, 255_999, c.dataPath, 16]),
    );

    // The stream survived it: a later, small set arrives on the same stream, no reconnect.
    h.hub.push(id, containers.slice(0, 1));
    await waitFor(() => desired.length > 1, { timeoutMs: 10_000, what: 'the second desired set' });
    expect(desired[1].containers).toHaveLength(1);
    expect(node.registrations()).toBe(1);
    expect(h.hub.isConnected(id)).toBe(true);
  });
});
