// A node's identity on one host: the certificate comes from the CA in DATA_DIR/pki and names the
// node, the bootstrap token is not needed once the node has it, and the certificate is renewed
// over the open stream before it expires.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJoinToken } from '@berth/proto';
import { runCli } from '../support/cli.ts';
import { removeNodeContainers } from '../support/host.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

// Short enough to see a renewal (at two thirds: 20 s), long enough for a stream to settle first.
const CERT_TTL = '30s';
let controller: ControllerProcess;
let agent: AgentProcess | undefined;
let stateDir: string;
const node = uniqueName('ident');
const berth = (args: string[]) => runCli(args, { env: { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') } });
const launch = () => startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node, env: { BERTH_STATE_DIR: stateDir } });
const certificate = async () => new X509Certificate(await readFile(path.join(stateDir, 'identity', 'node.crt')));

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-ident-'));
  controller = await startController({ nat: 'userspace', env: { BERTH_NODE_CERT_TTL: CERT_TTL } });
  agent = launch();
  await waitForNodeReady(controller, node, agent);
});

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  if (controller) await removeDir(controller.dataDir);
  if (stateDir) await removeDir(stateDir);
});

describe('node identity', () => {
  it('is a client certificate for the node name, signed by the CA in DATA_DIR/pki', async () => {
    const cert = await certificate();
    const ca = new X509Certificate(await readFile(path.join(controller.dataDir, 'pki', 'ca.crt')));
    expect(cert.subject).toBe(`CN=${node}`);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(Date.parse(cert.validTo) - Date.now()).toBeLessThanOrEqual(30_000);
  });

  it('lets a restarted agent rejoin after its bootstrap token was revoked', async () => {
    const id = parseJoinToken(controller.joinToken)!.secret.split('.')[0];
    expect((await berth(['token', 'revoke', id])).code).toBe(0);
    const registeredBefore = controller.log.split('"msg":"agent registered"').length;
    await agent!.stop();
    agent = launch();
    await waitFor(() => controller.log.split('"msg":"agent registered"').length > registeredBefore, { timeoutMs: 20_000, what: 'the agent registers again' });
    await waitForNodeReady(controller, node, agent);
    expect(controller.log).not.toContain('agent refused');
  });

  it('is renewed over the open stream before it expires, and the node stays Ready on the same stream', async () => {
    const before = await certificate();
    const registrations = controller.log.split('"msg":"agent registered"').length;
    await waitFor(async () => (await certificate()).serialNumber !== before.serialNumber, { timeoutMs: 30_000, what: 'a renewed certificate' });
    const after = await certificate();
    expect(Date.parse(after.validTo)).toBeGreaterThan(Date.parse(before.validTo));
    expect(after.publicKey.export({ format: 'der', type: 'spki' })).toEqual(before.publicKey.export({ format: 'der', type: 'spki' }));
    expect(controller.log).toContain('node certificate renewed');
    expect(controller.log.split('"msg":"agent registered"').length).toBe(registrations);
    await waitForNodeReady(controller, node, agent);
  });
});
