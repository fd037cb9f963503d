// The whole single-host path through real processes: a controller process, an agent process,
// the real Docker engine and real iptables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSingleHost, waitForPhase as phaseOf, type SingleHost } from '../support/single-host.ts';
import { containersOfNode, dnatRules, httpGetRaw } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitFor } from '../support/wait.ts';

let host: SingleHost;
const controller = () => host.controller;
const waitForPhase = (name: string, phase: string) => phaseOf(host.controller, name, phase);

beforeAll(async () => {
  host = await startSingleHost('e2e');
  expect((await controller().api.apply(webImage())).status).toBe(201);
});

afterAll(async () => {
  await host?.stop();
});

describe('a reservation on one host', () => {
  it('runs, is reachable through its public endpoint, and on delete leaves no container, port or NAT rule', async () => {
    const applied = await controller().api.apply(reservation('demo'));
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ action: 'created', object: { status: { phase: 'Scheduled', node: host.node } } });

    const running = await waitForPhase('demo', 'Running');
    expect(running.status.endpoints).toHaveLength(1);
    const [endpoint] = running.status.endpoints;
    expect(endpoint).toMatchObject({ name: 'http', port: 80, address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(await httpGetRaw(endpoint.address)).toContain('berth ok');

    const containers = await containersOfNode(host.node);
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({ reservation: running.metadata.uid, state: 'running' });
    const natPort = endpoint.address.split(':')[1];
    expect((await dnatRules(controller().opts.chainPrefix)).some((r) => r.includes(`--dport ${natPort} `))).toBe(true);

    const deleted = await controller().api.delete('reservations', 'demo');
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toMatchObject({ phase: 'Deleted', endpoints: [] });
    expect(await dnatRules(controller().opts.chainPrefix)).toEqual([]);
    await waitFor(async () => (await containersOfNode(host.node)).length === 0, { timeoutMs: 5000, what: 'container removal' });
    // Another process on the machine may own that port once the rule is gone (a CI run met one), so
    // what the user relies on is that the deleted container no longer answers there, not a refusal.
    const after = await httpGetRaw(endpoint.address, 1000).catch((e: Error) => `refused: ${e.message}`);
    expect(after).not.toContain('berth ok');
    expect((await controller().api.get('reservations', 'demo')).status).toBe(404);
  });

  it('re-applying the same manifest changes nothing', async () => {
    expect((await controller().api.apply(reservation('same'))).body.action).toBe('created');
    const again = await controller().api.apply(reservation('same'));
    expect(again.status).toBe(200);
    expect(again.body.action).toBe('unchanged');
    expect((await controller().api.list('reservations')).body.items.filter((r: { metadata: { name: string } }) => r.metadata.name === 'same')).toHaveLength(1);
    await controller().api.delete('reservations', 'same');
  });

  it('refuses a reservation that does not fit the node over its window with 409 and stores nothing', async () => {
    const { body: nodeObj } = await controller().api.get('nodes', host.node);
    const huge = webImage('huge', { resources: { cores: nodeObj.spec.cores + 1, memory: '64Mi', maxCores: nodeObj.spec.cores + 1 } });
    expect((await controller().api.apply(huge)).status).toBe(201);
    const before = (await controller().api.list('reservations')).body.items.length;
    const refused = await controller().api.apply(reservation('too-big', { image: 'huge' }));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NoResources');
    expect(refused.body.error.message).toMatch(/^no resources available/);
    expect(refused.body.error.message).toContain(host.node);
    expect(refused.body.error.details.rejections).toEqual([{ node: host.node, reason: expect.stringContaining('cores') }]);
    expect((await controller().api.list('reservations')).body.items.length).toBe(before);
    expect((await controller().api.get('reservations', 'too-big')).status).toBe(404);
  });
});
