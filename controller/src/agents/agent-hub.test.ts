// The AgentHub's use of time, on a clock the test moves by hand, over a real loopback stream
// (hub-harness.testkit.ts): heartbeats and registrations are stamped with the controller's clock,
// desired-set versions follow it (so they keep growing across a restart), and reports about
// other nodes' reservations are logged at most once a minute of it.
import { randomUUID } from 'node:crypto';
import type { ContainerStatus, DesiredState } from '@berth/proto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import { startHubHarness, type HubHarness } from './hub-harness.testkit.ts';

/** A clock the test sets. */
const clock = { t: 0, now: () => clock.t };

// Near the real time: the node certificates the hub issues on its clock must be valid for TLS.
let START = 0;

let h: HubHarness | undefined;
beforeEach(() => {
  START = Math.floor(Date.now() / 1000) * 1000;
  clock.t = START;
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('AgentHub on a controlled clock', () => {
  it('asks for the desired set again at registration and when the engine fails or recovers, not for the first beat of a stream', async () => {
    const changes: boolean[] = [];
    let available = true;
    h = await startHubHarness({ clock, heartbeatIntervalMs: 50, onNodeChange: (_id, { resend }) => void changes.push(resend) });
    await h.join('cn-engine', () => {}, { engine: () => ({ available, message: available ? '' : 'dockerd gone', unavailableSinceMs: 0 }) });
    await waitFor(() => changes.length >= 2, { timeoutMs: 5_000, what: 'the registration and the first beat' });
    expect(changes).toEqual([true, false]); // the first beat made the engine and protections known
    available = false;
    await waitFor(() => changes.length >= 3, { timeoutMs: 5_000, what: 'the engine failure' });
    available = true;
    await waitFor(() => changes.length >= 4, { timeoutMs: 5_000, what: 'the engine recovery' });
    expect(changes).toEqual([true, false, true, true]);
  });

  it("stamps the registration and each heartbeat with the controller's clock", async () => {
    let beats = 0;
    h = await startHubHarness({ clock, heartbeatIntervalMs: 50, onHeartbeat: () => beats++ });
    const { registered } = await h.join('cn1', () => {});
    expect(h.hub.liveNode(registered.nodeId)?.beatAt).toBe(START);
    expect((await h.store.db.node.findUniqueOrThrow({ where: { id: registered.nodeId } })).lastHeartbeat?.getTime()).toBe(START);
    clock.t = START + 5_000;
    const seen = beats;
    await waitFor(() => beats > seen, { timeoutMs: 5_000, what: 'a heartbeat' });
    expect(h.hub.liveNode(registered.nodeId)?.beatAt).toBe(START + 5_000);
  });

  it('numbers desired sets from its clock: one up within a stream, the clock after a pause, an unchanged set not sent again', async () => {
    h = await startHubHarness({ clock });
    const desired: DesiredState[] = [];
    const { registered } = await h.join('cn1', (d) => desired.push(d));
    const spec = (id: string) => ({
      reservationId: id,
      generation: 1,
      name: id,
      image: 'img',
      cpus: 1,
      memoryBytes: 1,
      ports: [],
      env: {},
      profile: 'ephemeral',
      dataPath: '',
    });
    h.hub.push(registered.nodeId, [spec('a')]);
    h.hub.push(registered.nodeId, [spec('a'), spec('b')]);
    h.hub.push(registered.nodeId, [spec('a'), spec('b')]);
    clock.t = START + 10_000;
    h.hub.push(registered.nodeId, [spec('b')]);
    await waitFor(() => desired.length >= 3, { timeoutMs: 5_000, what: 'three desired sets' });
    expect(desired.map((d) => [Number(d.version), d.containers.map((c) => c.reservationId)])).toEqual([
      [START, ['a']],
      [START + 1, ['a', 'b']],
      [START + 10_000, ['b']],
    ]);
  });

  it("logs reports about other nodes' reservations at most once a minute of its clock, counting those held back", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let observed = 0;
    h = await startHubHarness({ clock, log, onObserved: () => observed++ });
    const { agent, registered } = await h.join('cn1', () => {});
    const owner = await h.store.db.user.create({ data: { username: 'ann' } });
    const mine = await h.store.db.reservation.create({
      data: {
        name: 'mine',
        ownerId: owner.id,
        nodeId: registered.nodeId,
        spec: {},
        imageName: 'web',
        milliCores: 500,
        memoryMiB: 64,
        startAt: new Date(START),
        endAt: new Date(START + 3_600_000),
        phase: 'Running',
      },
    });
    const status = (reservationId: string, restartCount: number): ContainerStatus => ({
      reservationId,
      generation: 1,
      containerId: `c-${reservationId.slice(0, 8)}`,
      state: 'running',
      health: 'none',
      restartCount,
      message: '',
      startedAtMs: START,
      ports: [],
    });
    const foreign = randomUUID();
    const ignoredLines = () => lines.filter((l) => l.msg === 'report about reservations not on this node ignored');
    // Each report changes our own container, so onObserved says when the hub has handled it.
    const report = async (n: number) => {
      agent.sendReport({ appliedVersion: 0, containers: [status(mine.id, n), status(foreign, 0)] });
      await waitFor(() => observed >= n + 1, { timeoutMs: 5_000, what: `report ${n}` });
    };
    await report(0);
    expect(ignoredLines()).toEqual([expect.objectContaining({ node: 'cn1', ignored: 1, reservations: [foreign], heldBack: 0 })]);
    await report(1);
    clock.t = START + 59_999;
    await report(2);
    expect(ignoredLines()).toHaveLength(1);
    clock.t = START + 60_000;
    await report(3);
    expect(ignoredLines()).toHaveLength(2);
    expect(ignoredLines()[1]).toMatchObject({ ignored: 1, heldBack: 2 });
    expect([...(h.hub.observed(registered.nodeId)?.keys() ?? [])]).toEqual([mine.id]);
  });
});
