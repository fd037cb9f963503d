// The agent stream is TLS: the controller serves a self-signed certificate that agents pin by
// the fingerprint in their join token, so the storage key and everything else on the stream
// travel encrypted, and an agent talks only to the controller its token names.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJoinToken, loadAgentService, parseJoinToken, type AgentStream } from '@berth/proto';
import { removeDir, startAgent, startController, uniqueName, type ControllerProcess } from '../support/processes.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

let controller: ControllerProcess;

beforeAll(async () => {
  controller = await startController({ nat: 'userspace' });
});

afterAll(async () => {
  await controller?.stop();
  if (controller) await removeDir(controller.dataDir);
});

function servedCertificateFingerprint(address: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve(createHash('sha256').update(socket.getPeerCertificate().raw).digest('hex'));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('agent stream security', () => {
  it('writes a join token (mode 0600) that names the certificate the gRPC port serves', async () => {
    const token = parseJoinToken(controller.joinToken);
    expect(token).toBeDefined();
    expect((await stat(path.join(controller.dataDir, 'join-token'))).mode & 0o777).toBe(0o600);
    expect(await servedCertificateFingerprint(controller.grpcAddress)).toBe(token!.fingerprint);
  });

  it('does not speak plaintext gRPC', async () => {
    const Service = loadAgentService();
    const client = new Service(controller.grpcAddress, grpc.credentials.createInsecure());
    try {
      const stream = (client as unknown as { Connect(): AgentStream }).Connect();
      const outcome = await new Promise<string>((resolve) => {
        stream.on('data', () => resolve('answered'));
        stream.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code]));
        stream.write({
          register: { nodeName: 'plain', address: '127.0.0.1', cores: 1, memoryBytes: 1 << 30, joinToken: controller.joinToken, agentVersion: 'x' },
        });
      });
      expect(outcome).toBe('UNAVAILABLE');
    } finally {
      client.close();
    }
  });

  it('an agent whose token names another certificate refuses to connect and keeps retrying', async () => {
    const secret = parseJoinToken(controller.joinToken)!.secret;
    const node = uniqueName('pin');
    const agent = startAgent({ controller: controller.grpcAddress, joinToken: formatJoinToken({ fingerprint: 'f'.repeat(64), secret }), nodeName: node });
    try {
      await waitFor(() => (agent.log.match(/does not match the join token/g) ?? []).length >= 2, {
        timeoutMs: 15_000,
        what: 'agent refuses the certificate twice',
      });
      expect(agent.child.exitCode).toBeNull();
      expect((await controller.api.get('nodes', node)).status).toBe(404);
    } finally {
      await agent.stop('SIGKILL');
    }
  });

  it('keeps its certificate and token across a restart, so agents rejoin', async () => {
    const before = controller.joinToken;
    await controller.stop();
    controller = await startController({ ...controller.opts });
    expect(controller.joinToken).toBe(before);
    const node = uniqueName('pin');
    const agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node });
    try {
      await waitForNodeReady(controller, node, agent);
    } finally {
      await agent.stop();
    }
  });
});
