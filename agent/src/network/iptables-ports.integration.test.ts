// The port forwards against real iptables, in a network namespace of their own so the host's
// tables are never touched: the backend's commands run through nsenter into it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../run-command.ts';
import { IptablesPorts } from './iptables-ports.ts';
import { renderPortForwards, type PortForward } from './port-forwards.ts';

const ns = `berth-ports-${process.pid}`;
const octet = process.pid % 250;
const hostSide = { name: `bph${process.pid % 100000}`, address: `198.18.${octet}.1` };
const nsSide = { name: `bpn${process.pid % 100000}`, address: `198.18.${octet}.2` };
const SERVER_PORT = 8080;
const PUBLISHED = 31000;

const inNs = (command: string, args: readonly string[], input?: string) => runCommand('nsenter', [`--net=/run/netns/${ns}`, command, ...args], input);
const nat = async (...args: string[]) => (await inNs('iptables', ['-w', '5', '-t', 'nat', ...args])).trim().split('\n');
const ports = new IptablesPorts(inNs);
let server: ChildProcess | undefined;

const forward = (over: Partial<PortForward> = {}): PortForward => ({
  hostIp: nsSide.address,
  hostPort: PUBLISHED,
  targetIp: nsSide.address,
  targetPort: SERVER_PORT,
  reservationId: 'r1',
  ...over,
});

/** A node running in the namespace: answers every connection with `served` and hangs up. */
async function startServer(): Promise<ChildProcess> {
  const script = `require('net').createServer((s) => s.end('served')).listen(${SERVER_PORT}, '0.0.0.0', () => console.log('ready'))`;
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => ['exited'])]);
  if (String(chunk).trim() !== 'ready') throw new Error(`the server in ${ns} did not start: ${String(chunk)}`);
  return child;
}

/** What a connection from this (the host's) namespace receives, or its error code. */
function fetchFromHost(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const socket = connect({ host, port });
    socket.on('data', (d) => (received += d));
    socket.on('end', () => resolve(received));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The same from inside the namespace, where the OUTPUT hook applies. */
async function fetchInNs(host: string, port: number): Promise<string> {
  const script = `const s = require('net').connect(${port}, '${host}'); let r = ''; s.on('data', (d) => (r += d)); s.on('end', () => process.stdout.write(r)); s.on('error', (e) => process.stdout.write(e.code));`;
  return inNs(process.execPath, ['-e', script]);
}

beforeAll(async () => {
  await runCommand('ip', ['netns', 'add', ns]);
  await runCommand('ip', ['link', 'add', hostSide.name, 'type', 'veth', 'peer', 'name', nsSide.name]);
  await runCommand('ip', ['link', 'set', nsSide.name, 'netns', ns]);
  await runCommand('ip', ['addr', 'add', `${hostSide.address}/30`, 'dev', hostSide.name]);
  await runCommand('ip', ['link', 'set', hostSide.name, 'up']);
  await inNs('ip', ['addr', 'add', `${nsSide.address}/30`, 'dev', nsSide.name]);
  await inNs('ip', ['link', 'set', nsSide.name, 'up']);
  await inNs('ip', ['link', 'set', 'lo', 'up']);
  server = await startServer();
});

afterAll(async () => {
  server?.kill();
  if (server) await once(server, 'exit').catch(() => undefined);
  await runCommand('ip', ['netns', 'delete', ns]).catch(() => undefined); // takes the veth pair with it
  await runCommand('ip', ['link', 'delete', hostSide.name]).catch(() => undefined);
});

describe('IptablesPorts', () => {
  it('applies the chain and its hooks, first in PREROUTING and OUTPUT, and then holds exactly that', async () => {
    const text = renderPortForwards([forward(), forward({ hostIp: '', hostPort: 31001, targetPort: 9 })]);
    await ports.apply(text);
    expect(await ports.holds(text)).toBe(true);
    expect(await ports.holds(renderPortForwards([forward()]))).toBe(false);
    expect(await nat('-S', 'BERTH-PORTS')).toEqual([
      '-N BERTH-PORTS',
      `-A BERTH-PORTS -d ${nsSide.address}/32 -p tcp -m tcp --dport 31000 -j DNAT --to-destination ${nsSide.address}:8080`,
      `-A BERTH-PORTS -p tcp -m tcp --dport 31001 -j DNAT --to-destination ${nsSide.address}:9`,
    ]);
    expect((await nat('-S', 'PREROUTING'))[1]).toBe('-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH-PORTS');
    expect((await nat('-S', 'OUTPUT'))[1]).toBe('-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BERTH-PORTS');
  });

  it('applied twice leaves the table identical, each hook once', async () => {
    const text = renderPortForwards([forward()]);
    await ports.apply(text);
    const before = await nat('-S');
    await ports.apply(text);
    expect(await nat('-S')).toEqual(before);
    expect(before.filter((l) => l.endsWith('-j BERTH-PORTS'))).toHaveLength(2);
  });

  it('replaces the forwards atomically, leaves a foreign rule alone and removes only a duplicate of its own hook', async () => {
    const foreign = ['PREROUTING', '-p', 'udp', '-m', 'udp', '--dport', '9', '-j', 'ACCEPT'];
    await nat('-I', ...foreign.slice(0, 1), '1', ...foreign.slice(1));
    await nat('-A', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'BERTH-PORTS');
    const text = renderPortForwards([forward({ hostPort: 32000 })]);
    expect(await ports.holds(text)).toBe(false);

    await ports.apply(text);
    expect(await ports.holds(text)).toBe(true);
    expect((await nat('-S', 'PREROUTING')).sort()).toEqual([
      '-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH-PORTS',
      '-A PREROUTING -p udp -m udp --dport 9 -j ACCEPT',
      '-P PREROUTING ACCEPT',
    ]);

    await ports.teardown();
    expect(await nat('-S')).toEqual([
      '-P PREROUTING ACCEPT',
      '-P INPUT ACCEPT',
      '-P OUTPUT ACCEPT',
      '-P POSTROUTING ACCEPT',
      '-A PREROUTING -p udp -m udp --dport 9 -j ACCEPT',
    ]);
    expect(await ports.holds(text)).toBe(false);
    await nat('-D', ...foreign);
  });

  it('a hook that was deleted makes holds() false until apply puts it back', async () => {
    const text = renderPortForwards([forward()]);
    await ports.apply(text);
    await nat('-D', 'OUTPUT', '!', '-d', '127.0.0.0/8', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'BERTH-PORTS');
    expect(await ports.holds(text)).toBe(false);
    await ports.apply(text);
    expect(await ports.holds(text)).toBe(true);
  });

  it('forwards a published port end to end: arriving from outside (PREROUTING) and sent locally to the node address (OUTPUT), not on loopback', async () => {
    await ports.apply(renderPortForwards([forward()]));
    expect(await fetchFromHost(nsSide.address, SERVER_PORT)).toBe('served'); // the server itself is there
    expect(await fetchFromHost(nsSide.address, PUBLISHED)).toBe('served');
    expect(await fetchInNs(nsSide.address, PUBLISHED)).toBe('served');
    // Loopback is the proxy's: the nat rules leave it alone, as the engine's do.
    expect(await fetchInNs('127.0.0.1', PUBLISHED)).toBe('ECONNREFUSED');

    await ports.apply(renderPortForwards([]));
    expect(await fetchFromHost(nsSide.address, PUBLISHED)).toBe('ECONNREFUSED');
  });
});
