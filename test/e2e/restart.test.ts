// Restarts converge without duplicates: an agent adopts its containers, a controller restores
// the same reservations, endpoints and NAT rules from its database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { startAgent, startController, uniqueName, removeDir, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { containersOfNode, dnatRules, httpGetRaw, removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitFor } from '../support/wait.ts';

let controller: ControllerProcess;
let agent: AgentProcess;
const node = uniqueName('rst');

const isReady = (n: { status?: { conditions?: Array<{ type: string; status: string }> } }) =>
  n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function runningReservation(name: string) {
  return waitFor(async () => {
    const { body } = await controller.api.get('reservations', name);
    return body?.status?.phase === 'Running' && body.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ? body : undefined;
  }, { timeoutMs: 30_000, what: `${name} Running and Ready` });
}

function connectAgent() {
  return startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node });
}

beforeAll(async () => {
  controller = await startController();
  agent = connectAgent();
  await waitFor(async () => isReady((await controller.api.get('nodes', node)).body), { what: 'node Ready' });
  await controller.api.apply(webImage());
  await controller.api.apply(reservation('one'));
  await controller.api.apply(reservation('two'));
});

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  if (controller) await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: controller.opts.chainPrefix }).teardown();
  if (controller) await removeDir(controller.dataDir);
});

describe('restarts', () => {
  it('a restarted agent adopts the running containers: same ids, no duplicate, no orphan', async () => {
    await runningReservation('one');
    await runningReservation('two');
    const before = (await containersOfNode(node)).map((c) => c.id).sort();
    expect(before).toHaveLength(2);

    expect(await agent.stop('SIGKILL')).toBe(null);
    // A container of ours that is not desired any more (left by a crash) must go; the others stay.
    await controller.api.delete('reservations', 'two');
    agent = connectAgent();

    await waitFor(async () => (await containersOfNode(node)).length === 1, { timeoutMs: 20_000, what: 'orphan removal' });
    const one = await runningReservation('one');
    const after = await containersOfNode(node);
    expect(after.map((c) => c.reservation)).toEqual([one.metadata.uid]);
    expect(before).toContain(after[0].id);
    expect(await httpGetRaw(one.status.endpoints[0].address)).toContain('berth ok');
  });

  it('a restarted controller keeps reservations, endpoints and NAT rules, with nothing duplicated', async () => {
    const one = await runningReservation('one');
    const rules = await dnatRules(controller.opts.chainPrefix);
    expect(rules).toHaveLength(1);
    const containerIds = (await containersOfNode(node)).map((c) => c.id);

    expect(await controller.stop()).toBe(0);
    controller = await startController({ ...controller.opts });

    const again = await runningReservation('one');
    expect(again.metadata.uid).toBe(one.metadata.uid);
    expect(again.status.endpoints).toEqual(one.status.endpoints);
    expect(await dnatRules(controller.opts.chainPrefix)).toEqual(rules);
    await waitFor(async () => isReady((await controller.api.get('nodes', node)).body), { what: 'agent reconnected' });
    expect((await containersOfNode(node)).map((c) => c.id)).toEqual(containerIds);
    expect(await httpGetRaw(again.status.endpoints[0].address)).toContain('berth ok');
    expect((await controller.api.list('reservations')).body.items.map((r: { metadata: { name: string } }) => r.metadata.name)).toEqual(['one']);
  });
});
