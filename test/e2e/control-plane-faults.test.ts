// The control plane keeps working when parts fail: one object's failure never holds up another,
// public ports are admitted like capacity, a stalled controller does not blame the nodes, and
// SIGTERM exits in bounded time even with a node that does not answer. Real controller and agent
// processes against the real Docker engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { removeNodeContainers } from '../support/host.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { isReady, waitForNodeReady } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

const GRACE = { BERTH_NODE_GRACE: '4s', BERTH_HEARTBEAT_INTERVAL: '1s' };

async function readyReason(c: ControllerProcess, name: string): Promise<string | undefined> {
  const { body } = await c.api.get('reservations', name);
  return body?.status?.conditions?.find((x: { type: string }) => x.type === 'Ready')?.reason;
}

async function events(c: ControllerProcess, reason: string): Promise<Array<{ involvedObject: { name: string }; reason: string }>> {
  const { body } = await c.api.list('events');
  return (body.items ?? []).filter((e: { reason: string }) => e.reason === reason);
}

describe('a control plane that keeps working when parts fail', () => {
  let controller: ControllerProcess;
  let agent: AgentProcess;
  let node: string;

  beforeAll(async () => {
    // Two public ports in the whole cluster, one node port on each node (node ports are not
    // admitted, so a shortage shows at start); a pull that keeps failing gives up after 6 s.
    controller = await startController({
      env: { ...GRACE, BERTH_PUBLIC_PORTS: '31500-31501', BERTH_NODE_PORTS: '32500-32500', BERTH_PULL_FAILURE_TIMEOUT: '6s' },
    });
    node = uniqueName('cpf');
    agent = startAgent({
      controller: controller.grpcAddress,
      joinToken: controller.joinToken,
      nodeName: node,
      env: { BERTH_CAPACITY_CORES: '16', BERTH_CAPACITY_MEMORY_MIB: '4096' },
    });
    await waitForNodeReady(controller, node, agent);
    expect((await controller.api.apply(webImage('web'))).status).toBe(201);
    expect((await controller.api.apply(webImage('quiet', { ports: [] }))).status).toBe(201);
    expect((await controller.api.apply(webImage('broken', { ref: '127.0.0.1:9/berth-test/missing:1' }))).status).toBe(201);
  });

  afterAll(async () => {
    await agent?.stop();
    await controller?.stop();
    if (node) await removeNodeContainers(node);
    if (controller) {
      await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: controller.opts.chainPrefix }).teardown();
      await removeDir(controller.dataDir);
    }
  });

  it('refuses at apply a window that has no free public port, and reuses ports across disjoint windows', async () => {
    const soon = new Date(Date.now() + 3_600_000);
    const at = (offsetH: number) => new Date(soon.getTime() + offsetH * 3_600_000).toISOString();
    expect((await controller.api.apply(reservation('ports-a', { start: at(0), duration: '2h' }))).status).toBe(201);
    expect((await controller.api.apply(reservation('ports-b', { start: at(1), duration: '2h' }))).status).toBe(201);
    const refused = await controller.api.apply(reservation('ports-c', { start: at(1.5), duration: '1h' }));
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/public ports: 2 of 2 already taken in the window/);
    expect((await controller.api.get('reservations', 'ports-c')).status).toBe(404);
    // Ports are taken 30 s before a window opens (the container is prepared): right after ports-a
    // ends there is no port yet, a minute later there is.
    expect((await controller.api.apply(reservation('ports-d', { start: at(2), duration: '1h' }))).status).toBe(409);
    expect((await controller.api.apply(reservation('ports-d', { start: at(2 + 1 / 60), duration: '1h' }))).status).toBe(201);
    // A reservation without ports takes none.
    expect((await controller.api.apply(reservation('ports-e', { image: 'quiet', start: at(1.5), duration: '1h' }))).status).toBe(201);
    for (const name of ['ports-a', 'ports-b', 'ports-d', 'ports-e']) expect((await controller.api.delete('reservations', name)).status).toBe(200);
  });

  it('starts one reservation on time while another keeps failing its pull, then fails that one and frees its capacity', async () => {
    expect((await controller.api.apply(reservation('pull-bad', { image: 'broken' }))).status).toBe(201);
    const applied = Date.now();
    expect((await controller.api.apply(reservation('pull-good', { image: 'quiet' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'pull-good')).body?.status?.phase === 'Running', {
      what: 'pull-good Running',
      timeoutMs: 15_000,
    });
    expect(Date.now() - applied).toBeLessThan(10_000);
    await waitFor(async () => (await readyReason(controller, 'pull-bad')) === 'ImagePullFailed' || undefined, {
      what: 'pull-bad ImagePullFailed',
      timeoutMs: 15_000,
    });
    // The listing says so too, not just Starting.
    const listed = (await controller.api.list('reservations')).body.items.find((r: { metadata: { name: string } }) => r.metadata.name === 'pull-bad');
    expect(listed.status.conditions.find((c: { type: string }) => c.type === 'Ready').reason).toBe('ImagePullFailed');
    const failed = await waitFor(
      async () => {
        const { body } = await controller.api.get('reservations', 'pull-bad');
        return body?.status?.phase === 'Failed' ? body : undefined;
      },
      { what: 'pull-bad Failed after the pull timeout', timeoutMs: 30_000 },
    );
    expect(failed.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({
      reason: 'ImagePullFailed',
      message: expect.stringMatching(/kept failing.*capacity released/),
    });
    const nodeView = (await controller.api.get('nodes', node)).body;
    expect(nodeView.status.usage.reservations).toBe(1); // pull-good only
    expect((await controller.api.delete('reservations', 'pull-good')).status).toBe(200);
  });

  it('keeps starting other reservations while one cannot get its ports, and recovers that one when ports free up', async () => {
    // holder takes the node's only node port now; late is admitted (a public port is free) and
    // starts soon, but cannot get a node port while holder runs.
    expect((await controller.api.apply(reservation('holder'))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'holder')).body?.status?.phase === 'Running', { what: 'holder Running' });
    expect((await controller.api.apply(reservation('late', { start: new Date(Date.now() + 35_000).toISOString(), duration: '10m' }))).status).toBe(201);
    await waitFor(async () => (await readyReason(controller, 'late')) === 'PortsUnavailable' || undefined, {
      what: 'late PortsUnavailable',
      timeoutMs: 20_000,
    });
    const other = Date.now();
    expect((await controller.api.apply(reservation('other', { image: 'quiet' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'other')).body?.status?.phase === 'Running', {
      what: 'other Running while late is stuck',
      timeoutMs: 15_000,
    });
    expect(Date.now() - other).toBeLessThan(10_000);
    expect((await events(controller, 'PortsUnavailable')).some((e) => e.involvedObject.name === 'late')).toBe(true);
    // Freeing the ports lets the retries succeed.
    expect((await controller.api.delete('reservations', 'holder')).status).toBe(200);
    await waitFor(
      async () => {
        const { body } = await controller.api.get('reservations', 'late');
        return body?.status?.phase === 'Running' && body.status.endpoints.length === 1 ? body : undefined;
      },
      { what: 'late Running with its port', timeoutMs: 60_000 },
    );
    for (const name of ['late', 'other']) expect((await controller.api.delete('reservations', name)).status).toBe(200);
  });

  it('does not declare its nodes NotReady or move anything after it was itself stopped for longer than the grace period', async () => {
    expect((await controller.api.apply(reservation('steady', { image: 'quiet' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'steady')).body?.status?.phase === 'Running', { what: 'steady Running' });
    const notReadyBefore = (await events(controller, 'NodeNotReady')).length;
    controller.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 7_000)); // longer than the 4 s grace: the stall itself is the test
    controller.child.kill('SIGCONT');
    const resumed = Date.now();
    // The controller noticed its own stall and has heard the node again since.
    await waitFor(
      async () => {
        const text = await (await controller.fetch(`${controller.url}/metrics`)).text();
        return /berth_controller_stalls_total [1-9]/.test(text) || undefined;
      },
      { what: 'the controller to count its stall' },
    );
    await waitFor(
      async () => {
        const { body } = await controller.api.get('nodes', node);
        return Date.parse(body?.status?.lastHeartbeat ?? '') > resumed ? body : undefined;
      },
      { what: 'a heartbeat heard after the stall' },
    );
    expect((await events(controller, 'NodeNotReady')).length).toBe(notReadyBefore);
    expect(isReady((await controller.api.get('nodes', node)).body)).toBe(true);
    const steady = (await controller.api.get('reservations', 'steady')).body;
    expect(steady.status.phase).toBe('Running');
    expect(steady.status.node).toBe(node);
    expect((await controller.api.delete('reservations', 'steady')).status).toBe(200);
  });
});

describe('controller shutdown', () => {
  it('exits within 10 s of SIGTERM while a node is unreachable and a watch stream is open', async () => {
    const controller = await startController({ nat: 'userspace', env: GRACE });
    const name = uniqueName('cpf-stop');
    const agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: name });
    try {
      await waitForNodeReady(controller, name, agent);
      const watch = await controller.fetch(`${controller.url}/api/v1/reservations?watch=1`, { headers: { authorization: `Bearer ${controller.api.token}` } });
      expect(watch.status).toBe(200);
      agent.child.kill('SIGSTOP'); // the node stops answering, its stream stays open
      const started = Date.now();
      const code = await controller.stop('SIGTERM');
      const took = Date.now() - started;
      expect(took).toBeLessThan(10_000);
      expect(code).toBe(0);
      await watch.body?.cancel().catch(() => undefined);
    } finally {
      agent.child.kill('SIGCONT');
      await agent.stop();
      await removeNodeContainers(name);
      await removeDir(controller.dataDir);
    }
  });
});
