import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortForward } from './port-forwards.ts';
import { PortProxy } from './port-proxy.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function listening(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** Answers `NAME:` and all it was sent once the client has finished sending (a half-close). */
async function target(name: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    let received = '';
    s.on('data', (d) => (received += d));
    s.on('end', () => s.end(`${name}:${received}`));
  });
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
  });
  return listening(server);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Half-open unless told otherwise; a client that is not closes when the proxy closes its end. */
function open(port: number, allowHalfOpen = true): Socket {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
  socket.on('error', () => undefined); // a cut connection resets; the tests await its close
  cleanup.push(() => void socket.destroy());
  return socket;
}

/** Sends, half-closes, and resolves to everything received until the other end finished. */
async function finish(socket: Socket, payload: string): Promise<string> {
  let received = '';
  socket.on('data', (d) => (received += d));
  socket.end(payload);
  await once(socket, 'end');
  return received;
}

const exchange = (port: number, payload: string) => finish(open(port), payload);

/** The error code of a connection attempt, or 'connected'. */
function refused(port: number): Promise<string | undefined> {
  const socket = connect({ host: '127.0.0.1', port });
  return new Promise((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
  });
}

const forward = (hostPort: number, targetPort: number, reservationId = 'r1'): PortForward => ({
  hostIp: '127.0.0.1',
  hostPort,
  targetIp: '127.0.0.1',
  targetPort,
  reservationId,
});

function proxy(log?: pino.Logger): PortProxy {
  const p = new PortProxy({ log });
  cleanup.push(() => p.close());
  return p;
}

describe('PortProxy', () => {
  it('relays a connection to its target both ways, passing on the half-close', async () => {
    const [a, port] = [await target('A'), await freePort()];
    const p = proxy();
    await p.sync([forward(port, a)]);
    expect(await exchange(port, 'hello')).toBe('A:hello');
    expect(await exchange(port, 'again')).toBe('A:again');
  });

  it('sends new connections to a changed target while the listener and its open connections stay', async () => {
    const [a, b, port] = [await target('A'), await target('B'), await freePort()];
    const p = proxy();
    await p.sync([forward(port, a)]);
    const early = open(port);
    await once(early, 'connect');
    await p.sync([forward(port, b)]);
    expect(await exchange(port, 'new')).toBe('B:new');
    expect(await finish(early, 'old')).toBe('A:old');
  });

  it('closes the listener of a forward that is gone, with its connections, and keeps the others', async () => {
    const [a, gonePort, keptPort] = [await target('A'), await freePort(), await freePort()];
    const p = proxy();
    await p.sync([forward(gonePort, a), forward(keptPort, a, 'r2')]);
    const live = open(gonePort, false);
    await once(live, 'connect');
    await p.sync([forward(keptPort, a, 'r2')]);
    await once(live, 'close');
    expect(await refused(gonePort)).toBe('ECONNREFUSED');
    expect(await exchange(keptPort, 'kept')).toBe('A:kept');
  });

  it('logs a port it cannot bind without failing the sync, serves the other, and binds it at a later sync', async () => {
    const [a, taken, free] = [await target('A'), await freePort(), await freePort()];
    const squatter = createServer((s) => s.destroy());
    await listening(squatter, taken);
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const p = proxy(log);

    await p.sync([forward(taken, a), forward(free, a, 'r2')]);
    expect(await exchange(free, 'other')).toBe('A:other');
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'port proxy cannot listen, will retry',
        hostPort: taken,
        reservationId: 'r1',
        err: expect.objectContaining({ code: 'EADDRINUSE' }),
      }),
    );

    await new Promise((resolve) => squatter.close(resolve));
    await p.sync([forward(taken, a), forward(free, a, 'r2')]);
    expect(await exchange(taken, 'retried')).toBe('A:retried');
  });

  it('closes the client connection when the target refuses, without an unhandled error', async () => {
    const [nobody, port] = [await freePort(), await freePort()];
    const p = proxy();
    await p.sync([forward(port, nobody)]);
    await once(open(port, false), 'close');
  });

  it('close() closes every listener and cuts every relayed connection', async () => {
    const [a, one, two] = [await target('A'), await freePort(), await freePort()];
    const p = proxy();
    await p.sync([forward(one, a), forward(two, a, 'r2')]);
    const live = open(one, false);
    await once(live, 'connect');
    await p.close();
    await once(live, 'close');
    expect(await refused(one)).toBe('ECONNREFUSED');
    expect(await refused(two)).toBe('ECONNREFUSED');
  });
});
