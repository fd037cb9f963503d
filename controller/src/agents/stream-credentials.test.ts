// The agent stream's TLS on a real gRPC server and a real TLS client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateAgentTls } from './agent-tls.ts';
import { streamServerCredentials } from './stream-credentials.ts';

describe('agent stream TLS', () => {
  let dir: string;
  let server: grpc.Server;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-stream-tls-'));
    const tls = await loadOrCreateAgentTls(dir, []);
    server = new grpc.Server();
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', streamServerCredentials(tls, tls.cert), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });
  afterAll(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a joining agent connect without a client certificate, and sends no stateless session tickets', async () => {
    // (Mutual TLS with a node certificate, and the hub's refusals, are agent-hub.test.ts's.)
    const seen = await new Promise<{ ticket?: Buffer }>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      // OpenSSL sends its tickets right after the handshake, before any data: by the server's
      // first HTTP/2 frame (its SETTINGS), every ticket it meant to send has arrived.
      socket.once('data', () => {
        resolve({ ticket: socket.getTLSTicket() });
        socket.destroy();
      });
      socket.once('error', reject);
    });
    // With SSL_OP_NO_TICKET, TLS 1.3 still sends a ticket, but it is only a 32-byte session id
    // (nothing is stored under it, so it resumes nothing); a stateless ticket is the session
    // encrypted, 240 bytes here, and costs both ends the encryption and its parsing.
    expect(seen.ticket?.length ?? 0).toBeLessThanOrEqual(32);
  });
});
