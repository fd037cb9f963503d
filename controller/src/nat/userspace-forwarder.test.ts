import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import type { NatEndpoint } from './endpoint.ts';
import { UserspaceNat } from './userspace-forwarder.ts';
import { freePort, roundTrip } from './tcp-probe.testkit.ts';

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newForwarder(): UserspaceNat {
  const nat = new UserspaceNat({ log });
  cleanups.push(() => nat.close());
  return nat;
}

/** A node-side server that prefixes its echo with `tag`, so tests can tell targets apart. */
async function taggedEcho(tag: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.write(`${tag}:`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

function endpoint(key: string, natPort: number, nodePort: number): NatEndpoint {
  return { key, publicAddress: '127.0.0.1', natPort, nodeAddress: '127.0.0.1', nodePort };
}

describe('UserspaceNat', () => {
  it('echoes through the forwarder, the reply arriving after the client half-closed', async () => {
    const nat = newForwarder();
    expect(nat.kind).toBe('userspace');
    const nodePort = await taggedEcho('a');
    const natPort = await freePort();
    await nat.sync([endpoint('r1/echo', natPort, nodePort)]);
    expect(await roundTrip('127.0.0.1', natPort, 'hello')).toBe('a:hello');
    const big = 'x'.repeat(1_000_000);
    expect(await roundTrip('127.0.0.1', natPort, big)).toBe(`a:${big}`);
  });

  it('re-targets new connections to the new node port without reopening the listener', async () => {
    const nat = newForwarder();
    const [oldNode, newNode] = [await taggedEcho('old'), await taggedEcho('new')];
    const natPort = await freePort();
    await nat.sync([endpoint('r1/echo', natPort, oldNode)]);
    expect(await roundTrip('127.0.0.1', natPort, 'one')).toBe('old:one');
    await nat.sync([endpoint('r1/echo', natPort, newNode)]);
    expect(await roundTrip('127.0.0.1', natPort, 'two')).toBe('new:two');
  });

  it('closes the listener of a removed endpoint and keeps the others', async () => {
    const nat = newForwarder();
    const nodePort = await taggedEcho('n');
    const [keep, drop] = [await freePort(), await freePort()];
    await nat.sync([endpoint('r1/keep', keep, nodePort), endpoint('r2/drop', drop, nodePort)]);
    expect(await roundTrip('127.0.0.1', drop, 'x')).toBe('n:x');
    await nat.sync([endpoint('r1/keep', keep, nodePort)]);
    await expect(roundTrip('127.0.0.1', drop, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await roundTrip('127.0.0.1', keep, 'y')).toBe('n:y');
  });

  it('resets the client when the node port refuses', async () => {
    const nat = newForwarder();
    const natPort = await freePort();
    await nat.sync([endpoint('r1/dead', natPort, await freePort())]);
    await expect(roundTrip('127.0.0.1', natPort, 'x')).rejects.toThrow();
  });

  it('reports a port it cannot bind, serves the rest, and binds it on a later sync once free', async () => {
    const nat = newForwarder();
    const nodePort = await taggedEcho('n');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    const free = await freePort();
    const set = [endpoint('r1/taken', taken, nodePort), endpoint('r2/free', free, nodePort)];
    await expect(nat.sync(set)).rejects.toMatchObject({ code: 'Unavailable' });
    expect(await roundTrip('127.0.0.1', free, 'ok')).toBe('n:ok');
    await new Promise((resolve) => squatter.close(resolve));
    await nat.sync(set);
    expect(await roundTrip('127.0.0.1', taken, 'now')).toBe('n:now');
  });

  it('rejects invalid endpoints without touching listeners', async () => {
    const nat = newForwarder();
    const err = await nat.sync([endpoint('r1/bad', 0, 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('Invalid');
  });

  it('stops every listener and open connection on close', async () => {
    const nat = new UserspaceNat({ log });
    const nodePort = await taggedEcho('n');
    const natPort = await freePort();
    await nat.sync([endpoint('r1/echo', natPort, nodePort)]);
    const open = connect({ host: '127.0.0.1', port: natPort });
    const closed = new Promise((resolve) => open.on('close', resolve));
    open.on('error', () => undefined);
    await new Promise((resolve) => open.once('data', resolve));
    await nat.close();
    await closed;
    await expect(roundTrip('127.0.0.1', natPort, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
