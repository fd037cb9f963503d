// Start and expiry are driven by the next due time: a future window begins on time and a short
// one ends on time, with the container really started and really removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSingleHost, type SingleHost } from '../support/single-host.ts';
import { containersOfNode, dnatRules } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitFor } from '../support/wait.ts';

let host: SingleHost;

beforeAll(async () => {
  host = await startSingleHost('tim');
  await host.controller.api.apply(webImage());
});

afterAll(async () => {
  await host?.stop();
});

describe('punctual start and expiry', () => {
  it('starts a future reservation within 1 s of its start and removes it within 1 s of its end', async () => {
    const start = new Date(Date.now() + 4000);
    start.setMilliseconds(0);
    const startMs = start.getTime() + 1000; // whole second, at least 3 s ahead
    const endMs = startMs + 8000;
    const applied = await host.controller.api.apply(reservation('short', { start: new Date(startMs).toISOString(), duration: '8s' }));
    expect(applied.status).toBe(201);
    expect(applied.body.object.status.phase).toBe('Scheduled');
    // Before its window the container may be prepared (created) on the node, but never running.
    await waitFor(async () => (await containersOfNode(host.node)).some((c) => c.state === 'created'), { timeoutMs: 3000, what: 'prepared container' });
    expect(Date.now()).toBeLessThan(startMs);
    expect((await containersOfNode(host.node)).filter((c) => c.state !== 'created')).toEqual([]);
    // Its ports are reserved, but no endpoint is shown and no NAT rule exists until it runs.
    expect((await host.controller.api.get('reservations', 'short')).body.status.endpoints).toEqual([]);
    expect(await dnatRules(host.controller.opts.chainPrefix)).toEqual([]);

    const running = await waitFor(
      async () => {
        const { body } = await host.controller.api.get('reservations', 'short');
        return body.status.phase === 'Running' ? body : undefined;
      },
      { timeoutMs: 15_000, what: 'Running' },
    );
    // startedAt is the engine's own start time of the container.
    const startedAt = Date.parse(running.status.startedAt);
    expect(startedAt).toBeGreaterThanOrEqual(startMs);
    expect(startedAt - startMs).toBeLessThanOrEqual(1000);
    expect(running.status.endpoints).toHaveLength(1);
    expect(await dnatRules(host.controller.opts.chainPrefix)).toHaveLength(1);

    const goneAt = await waitFor(async () => ((await containersOfNode(host.node)).length === 0 ? Date.now() : undefined), {
      timeoutMs: 15_000,
      intervalMs: 25,
      what: 'container removal',
    });
    expect(goneAt).toBeGreaterThanOrEqual(endMs);
    expect(goneAt - endMs).toBeLessThanOrEqual(1000);
    const expired = (await host.controller.api.get('reservations', 'short')).body;
    expect(expired.status).toMatchObject({ phase: 'Expired', endpoints: [], endedAt: new Date(endMs).toISOString() });
  });
});
