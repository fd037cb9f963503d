import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '@berth/proto';
import { PIN_MISMATCH, pinnedCredentials } from './pinned-credentials.ts';

let dir: string;
let server: tls.Server;
let address: string;
let fingerprint: string;
let notAfterMs: number;
let client: { keyPem: string; certPem: string };
/** What each TLS connection the server accepted received, and the client certificate it showed. */
interface Record {
  bytes: Buffer[];
  clientCn?: string;
  closed: boolean;
}
const seen: Record[] = [];

async function selfSigned(name: string): Promise<{ keyPem: string; certPem: string }> {
  const [key, cert] = [join(dir, `${name}.key`), join(dir, `${name}.pem`)];
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert];
  await promisify(execFile)('openssl', [...args, '-subj', `/CN=${name}`, '-days', '1']);
  return { keyPem: await readFile(key, 'utf8'), certPem: await readFile(cert, 'utf8') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-pin-'));
  const controller = await selfSigned('controller');
  client = await selfSigned('node-a');
  const x509 = new X509Certificate(controller.certPem);
  fingerprint = certificateFingerprint(x509.raw);
  notAfterMs = Date.parse(x509.validTo);
  // A TLS server that records, per TCP connection, what the client sent once TLS was up (a gRPC
  // client starts with the HTTP/2 preface) and whether the connection has closed.
  const byPort = new Map<number, Record>();
  server = tls.createServer({ key: controller.keyPem, cert: controller.certPem, ALPNProtocols: ['h2'], requestCert: true, rejectUnauthorized: false }, (s) => {
    const record = byPort.get(s.remotePort ?? 0)!;
    record.clientCn = String(s.getPeerCertificate().subject?.CN ?? '') || undefined;
    s.on('data', (b: Buffer) => record.bytes.push(b));
    s.on('error', () => undefined);
  });
  server.on('connection', (socket) => {
    const record: Record = { bytes: [], closed: false };
    byPort.set(socket.remotePort ?? 0, record);
    seen.push(record);
    socket.on('close', () => {
      record.closed = true;
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const Client = grpc.makeGenericClientConstructor(
  {
    Ping: {
      path: '/test.Pin/Ping',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  'Pin',
);

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const wrote = (r: Record | undefined) => Buffer.concat(r?.bytes ?? []).toString('latin1');

/**
 * Opens a channel and starts one call. With outcome 'refused' it waits for the call's error and
 * for the server to see the connection closed; with 'spoken' for the server to get gRPC's first bytes.
 */
async function connect(credentials: grpc.ChannelCredentials, outcome: 'refused' | 'spoken'): Promise<{ error?: grpc.ServiceError; conn: Record }> {
  const before = seen.length;
  const c = new Client(address, credentials, { 'grpc.ssl_target_name_override': 'berth-controller' }) as unknown as grpc.Client & {
    Ping(req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void;
  };
  try {
    let error: grpc.ServiceError | undefined;
    c.Ping(Buffer.from('x'), { deadline: Date.now() + 10_000 }, (err) => {
      error = err ?? undefined;
    });
    if (outcome === 'refused') await until('the refused connection to close', () => error !== undefined && seen[before]?.closed === true);
    else await until('the HTTP/2 preface', () => wrote(seen[before]).startsWith('PRI * HTTP/2.0'));
    return { error, conn: seen[before] };
  } finally {
    c.close();
  }
}

describe('pinned controller credentials', () => {
  it('speak gRPC to the controller whose certificate the token pins, though it is self-signed and named otherwise', async () => {
    const { conn } = await connect(pinnedCredentials(fingerprint), 'spoken');
    expect(conn.clientCn).toBeUndefined();
  });

  it('refuse another certificate before sending a byte, and say why in the error', async () => {
    const { error, conn } = await connect(pinnedCredentials('f'.repeat(64)), 'refused');
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).toContain(PIN_MISMATCH);
    expect(wrote(conn)).toBe('');
  });

  it('refuse the pinned certificate once it has expired', async () => {
    const { error, conn } = await connect(
      pinnedCredentials(fingerprint, undefined, () => notAfterMs + 1000),
      'refused',
    );
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).toMatch(/valid only from .+ to /);
    expect(wrote(conn)).toBe('');
  });

  it("present the node's certificate when it has one (mutual TLS)", async () => {
    const { conn } = await connect(pinnedCredentials(fingerprint, client), 'spoken');
    expect(conn.clientCn).toBe('node-a');
  });
});
