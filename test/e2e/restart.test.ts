// Restarts converge without duplicates: an agent adopts its containers, a controller restores
// the same reservations, endpoints and NAT rules from its database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReady, startSingleHost, waitForNodeReady, type SingleHost } from '../support/single-host.ts';
import { containersOfNode, dnatRules, httpGetRaw } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitFor } from '../support/wait.ts';

let host: SingleHost;

async function runningReservation(name: string) {
  return waitFor(
    async () => {
      const { body } = await host.controller.api.get('reservations', name);
      return body?.status?.phase === 'Running' && isReady(body) ? body : undefined;
    },
    { timeoutMs: 30_000, what: `${name} Running and Ready` },
  );
}

beforeAll(async () => {
  host = await startSingleHost('rst');
  await host.controller.api.apply(webImage());
  await host.controller.api.apply(reservation('one'));
  await host.controller.api.apply(reservation('two'));
});

afterAll(async () => {
  await host?.stop();
});

describe('restarts', () => {
  it('a restarted agent adopts the running containers: same ids, no duplicate, no orphan', async () => {
    await runningReservation('one');
    await runningReservation('two');
    const before = (await containersOfNode(host.node)).map((c) => c.id).sort();
    expect(before).toHaveLength(2);

    expect(await host.agent.stop('SIGKILL')).toBe(null);
    // A container of ours that is not desired any more (left by a crash) must go; the others stay.
    await host.controller.api.delete('reservations', 'two');
    host.restartAgent();

    await waitFor(async () => (await containersOfNode(host.node)).length === 1, { timeoutMs: 20_000, what: 'orphan removal' });
    const one = await runningReservation('one');
    const after = await containersOfNode(host.node);
    expect(after.map((c) => c.reservation)).toEqual([one.metadata.uid]);
    expect(before).toContain(after[0].id);
    expect(await httpGetRaw(one.status.endpoints[0].address)).toContain('berth ok');
  });

  it('a restarted controller keeps reservations, endpoints and NAT rules, with nothing duplicated', async () => {
    const one = await runningReservation('one');
    const rules = await dnatRules(host.controller.opts.chainPrefix);
    expect(rules).toHaveLength(1);
    const containerIds = (await containersOfNode(host.node)).map((c) => c.id);

    expect(await host.restartController()).toBe(0);

    const again = await runningReservation('one');
    expect(again.metadata.uid).toBe(one.metadata.uid);
    expect(again.status.endpoints).toEqual(one.status.endpoints);
    expect(await dnatRules(host.controller.opts.chainPrefix)).toEqual(rules);
    await waitForNodeReady(host.controller, host.node);
    expect((await containersOfNode(host.node)).map((c) => c.id)).toEqual(containerIds);
    expect(await httpGetRaw(again.status.endpoints[0].address)).toContain('berth ok');
    expect((await host.controller.api.list('reservations')).body.items.map((r: { metadata: { name: string } }) => r.metadata.name)).toEqual(['one']);
  });
});
