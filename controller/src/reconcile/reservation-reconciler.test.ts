// The reservation reconciler over a whole window with a clock moved by hand: a real SQLite store
// and admission (through the API), the node's reports and the NAT backend faked at their ports.
import type { ContainerStatus } from '@berth/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { START, startApiHarness, type ApiHarness } from '../api/api-harness.testkit.ts';
import { DEFAULT_PREPARE_LEAD_MS, DEFAULT_PULL_FAILURE_TIMEOUT_MS } from './reservation-plan.ts';

const HOUR = 3_600_000;
const NGINX = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name: 'nginx' },
  spec: { ref: 'nginx:1.27', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '256Mi' } },
};

let h: ApiHarness;
let nodeId: string;
beforeEach(async () => {
  h = await startApiHarness();
  nodeId = await h.addNode('cn1');
  const apply = (m: object) => h.app.inject({ method: 'POST', url: '/api/v1/apply', payload: m, headers: { authorization: `Bearer ${h.adminToken}` } });
  await apply(NGINX);
  const res = await apply({
    apiVersion: 'berth/v1',
    kind: 'Reservation',
    metadata: { name: 'web' },
    spec: { image: 'nginx', start: new Date(START + HOUR).toISOString(), duration: '2h', profile: 'ephemeral' },
  });
  expect(res.statusCode).toBe(201);
});
afterEach(async () => {
  await h.close();
});

const row = () => h.store.db.reservation.findFirstOrThrow({ where: { name: 'web' } });
const reconcile = async () => h.reconciler.reconcile((await row()).id);
const at = (ms: number) => h.clock.advance(ms - h.clock.now());

function reportRunning(id: string, generation: number): void {
  const status: ContainerStatus = {
    reservationId: id,
    generation,
    containerId: 'c1',
    state: 'running',
    health: 'none',
    restartCount: 0,
    message: '',
    startedAtMs: h.clock.now(),
    ports: [],
  };
  h.hub.observed.set(nodeId, new Map([[id, status]]));
}

describe('ReservationReconciler over a window', () => {
  it('does nothing before the prepare lead and asks to be woken exactly then', async () => {
    expect(await reconcile()).toEqual({ requeueAfterMs: HOUR - DEFAULT_PREPARE_LEAD_MS });
    expect((await row()).phase).toBe('Scheduled');
    expect(h.hub.pushed).toEqual([]);
  });

  it('sends the node its set a lead before the start, starts at the start, and runs once the node reports it', async () => {
    at(START + HOUR - DEFAULT_PREPARE_LEAD_MS);
    await reconcile();
    expect([(await row()).phase, h.hub.pushed]).toEqual(['Scheduled', [nodeId]]);

    at(START + HOUR);
    h.hub.observed.set(nodeId, new Map()); // connected, nothing running yet
    await reconcile();
    expect((await row()).phase).toBe('Starting');
    expect(h.nat()).toEqual([]);

    const { id, generation } = await row();
    reportRunning(id, generation);
    // The rules go in first, off the worker: the reservation turns Running on the requeue that
    // follows their sync, so its endpoint accepts connections once status shows it.
    expect(await reconcile()).toBeUndefined();
    expect(await h.nextRequeue()).toBe(id);
    const ports = await h.store.db.portAllocation.findMany({ where: { reservationId: id } });
    expect(h.nat()).toEqual([
      { key: `${id}/http`, publicAddress: '127.0.0.1', natPort: ports[0].natPort, nodeAddress: '10.0.0.11', nodePort: ports[0].nodePort },
    ]);
    expect((await row()).phase).toBe('Starting');
    await reconcile();
    expect((await row()).phase).toBe('Running');
  });

  it('expires at the end of the window: NAT rule and ports gone, the node told', async () => {
    at(START + HOUR);
    await reconcile();
    const { id, generation } = await row();
    reportRunning(id, generation);
    await reconcile();
    await h.nextRequeue();
    await reconcile();
    expect((await row()).phase).toBe('Running');
    h.hub.pushed.length = 0;

    at(START + 3 * HOUR);
    await reconcile();
    expect((await row()).phase).toBe('Expired');
    expect(h.nat()).toEqual([]);
    expect(await h.store.db.portAllocation.count({ where: { reservationId: id } })).toBe(0);
    expect(h.hub.pushed).toContain(nodeId);
  });

  it('starts on time before its node has reported, and stays Starting without a report', async () => {
    at(START + HOUR);
    await reconcile();
    await reconcile();
    expect((await row()).phase).toBe('Starting');
  });

  it('asks to be woken at the next instant that matters: the start once prepared, the end once started', async () => {
    at(START + HOUR - DEFAULT_PREPARE_LEAD_MS);
    expect(await reconcile()).toEqual({ requeueAfterMs: DEFAULT_PREPARE_LEAD_MS });
    at(START + HOUR);
    expect(await reconcile()).toEqual({ requeueAfterMs: 2 * HOUR });
    const { id, generation } = await row();
    reportRunning(id, generation);
    at(START + 2 * HOUR);
    expect(await reconcile()).toBeUndefined(); // woken again once its NAT rules are in
    expect(await h.nextRequeue()).toBe(id);
    expect(await reconcile()).toEqual({ requeueAfterMs: HOUR });
  });

  it('fails a reservation whose image pull keeps failing once the pull timeout has run out on the clock, releasing its ports', async () => {
    at(START + HOUR);
    h.hub.observed.set(nodeId, new Map());
    await reconcile();
    const { id, generation } = await row();
    const pulling: ContainerStatus = {
      reservationId: id,
      generation,
      containerId: '',
      state: 'pulling',
      health: 'none',
      restartCount: 0,
      message: 'pull failed: manifest unknown',
      startedAtMs: 0,
      ports: [],
    };
    h.hub.observed.set(nodeId, new Map([[id, pulling]]));
    at(START + HOUR + 60_000);
    // Woken at the pull deadline: a full timeout after the container was asked for, when its pulls began.
    expect(await reconcile()).toEqual({ requeueAfterMs: DEFAULT_PULL_FAILURE_TIMEOUT_MS - 60_000 });
    expect((await row()).phase).toBe('Starting');
    at(START + HOUR + DEFAULT_PULL_FAILURE_TIMEOUT_MS - 1);
    await reconcile();
    expect((await row()).phase).toBe('Starting');
    at(START + HOUR + DEFAULT_PULL_FAILURE_TIMEOUT_MS);
    expect(await reconcile()).toBeUndefined();
    const failed = await row();
    expect(failed.phase).toBe('Failed');
    expect(JSON.stringify(failed.status)).toContain('image pull kept failing for 5 min; capacity released: pull failed: manifest unknown');
    expect(await h.store.db.portAllocation.count({ where: { reservationId: id } })).toBe(0);
    expect(h.nat()).toEqual([]);
  });
});
