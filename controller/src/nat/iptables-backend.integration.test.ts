// Runs against the host's real iptables (root). Every test uses its own chain prefix and
// namespace names and removes them afterwards, so production chains and Docker are never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NatEndpoint } from './endpoint.ts';
import { IptablesNat } from './iptables-backend.ts';
import { renderIptablesRestore } from './render-rules.ts';
import { runCommand } from './run-command.ts';
import { freePort, roundTrip } from './tcp-probe.testkit.ts';

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err) => failures.push(err));
  expect(failures).toEqual([]);
});

function uniqueId(length: number): string {
  return Math.random()
    .toString(36)
    .slice(2, 2 + length)
    .toUpperCase()
    .padEnd(length, 'Z');
}

function newBackend(prefix: string): IptablesNat {
  const backend = new IptablesNat({ log, chainPrefix: prefix });
  cleanups.push(() => backend.teardown());
  return backend;
}

async function echoServer(host = '127.0.0.1'): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function berthLines(prefix: string): Promise<string[]> {
  const all = [
    ...(await runCommand('iptables', ['-t', 'nat', '-S']).then((o) => o.split('\n'))),
    ...(await runCommand('iptables', ['-t', 'filter', '-S']).then((o) => o.split('\n'))),
  ];
  return all.filter((line) => line.includes(`${prefix}-`));
}

function endpoint(key: string, natPort: number, nodePort: number, nodeAddress = '127.0.0.1', publicAddress = '127.0.0.1'): NatEndpoint {
  return { key, publicAddress, natPort, nodeAddress, nodePort };
}

describe('IptablesNat (real iptables)', () => {
  it('forwards a loopback public port to a loopback node port', async () => {
    const backend = newBackend(`BT${uniqueId(6)}`);
    const nodePort = await echoServer();
    const natPort = await freePort();
    await backend.sync([endpoint('r1/echo', natPort, nodePort)]);
    expect(await roundTrip('127.0.0.1', natPort, 'hello through DNAT')).toBe('hello through DNAT');
    expect(await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe('1\n');
  });

  it('removes the rule of a dropped endpoint so its port refuses connections', async () => {
    const prefix = `BT${uniqueId(6)}`;
    const backend = newBackend(prefix);
    const nodePort = await echoServer();
    const [keep, drop] = [await freePort(), await freePort()];
    await backend.sync([endpoint('r1/keep', keep, nodePort), endpoint('r2/drop', drop, nodePort)]);
    expect(await roundTrip('127.0.0.1', drop, 'x')).toBe('x');
    await backend.sync([endpoint('r1/keep', keep, nodePort)]);
    const rules = await backend.listRules();
    expect(rules).toHaveLength(1);
    expect(rules[0]).toContain('"r1/keep"');
    await expect(roundTrip('127.0.0.1', drop, 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await roundTrip('127.0.0.1', keep, 'still here')).toBe('still here');
  });

  it('never duplicates rules or jumps across repeated, concurrent and fresh-instance syncs', async () => {
    const prefix = `BT${uniqueId(6)}`;
    const a = [endpoint('r1/a', 40001, 41001), endpoint('r2/b', 40002, 41002, '10.213.255.2')];
    const b = [endpoint('r1/a', 40001, 41001)];
    const first = newBackend(prefix);
    await first.sync(a);
    const once = await berthLines(prefix);
    await Promise.all([first.sync(b), first.sync(a), first.sync(b), first.sync(a)]);
    expect(await berthLines(prefix)).toEqual(once);
    // A crash between check and insert could leave a second jump; the next apply repairs it.
    await runCommand('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-j', `${prefix}-DNAT`]);
    await newBackend(prefix).sync(a);
    await newBackend(prefix).sync(a);
    expect(await berthLines(prefix)).toEqual(once);
    const jumps = once.filter((line) => / -j \S+$/.test(line) && !line.startsWith(`-A ${prefix}-`));
    expect(jumps).toHaveLength(5);
  });

  it('rebuilds exactly the same rules from a fresh instance, as after a controller restart', async () => {
    const prefix = `BT${uniqueId(6)}`;
    const set = [endpoint('r1/a', 40011, 41011), endpoint('r2/b', 40012, 41012, '10.213.255.2')];
    await newBackend(prefix).sync(set);
    const before = await berthLines(prefix);
    // Drift the kernel state: the restarted process must not trust a cache it does not have.
    await runCommand('iptables', ['-t', 'nat', '-F', `${prefix}-DNAT`]);
    const restarted = newBackend(prefix);
    await restarted.sync(set);
    expect(await berthLines(prefix)).toEqual(before);
    const expectedDnat = renderIptablesRestore(set, { chainPrefix: prefix })
      .split('\n')
      .filter((line) => line.startsWith(`-A ${prefix}-DNAT `));
    expect(await restarted.listRules()).toEqual(expectedDnat);
  });

  it('leaves rules and chains it does not own untouched, through sync and teardown', async () => {
    const prefix = `BT${uniqueId(6)}`;
    const marker = `${prefix}M`;
    await runCommand('iptables', ['-t', 'nat', '-N', marker]);
    cleanups.push(async () => {
      await runCommand('iptables', ['-t', 'nat', '-D', 'OUTPUT', '-j', marker]).catch(() => undefined);
      await runCommand('iptables', ['-t', 'nat', '-F', marker]);
      await runCommand('iptables', ['-t', 'nat', '-X', marker]);
    });
    await runCommand('iptables', [
      '-t',
      'nat',
      '-A',
      marker,
      '-d',
      '127.255.255.254/32',
      '-p',
      'tcp',
      '--dport',
      '9',
      '-m',
      'comment',
      '--comment',
      'not-berth',
      '-j',
      'RETURN',
    ]);
    await runCommand('iptables', ['-t', 'nat', '-I', 'OUTPUT', '1', '-j', marker]);
    const foreign = async () => ({
      chain: await runCommand('iptables', ['-t', 'nat', '-S', marker]),
      hooks: (await runCommand('iptables', ['-t', 'nat', '-S', 'OUTPUT'])).split('\n').filter((l) => l.includes(marker)),
    });
    const before = await foreign();
    const backend = newBackend(prefix);
    await backend.sync([endpoint('r1/a', 40021, 41021)]);
    await backend.sync([]);
    expect(await foreign()).toEqual(before);
    await backend.teardown();
    expect(await foreign()).toEqual(before);
    expect(await berthLines(prefix)).toEqual([]);
  });
});

interface Namespace {
  name: string;
  hostIf: string;
  hostAddress: string;
  nsAddress: string;
}

/** A namespace joined to the root namespace by a /30 veth pair; removed by the test cleanup. */
async function createNamespace(name: string, hostAddress: string, nsAddress: string): Promise<Namespace> {
  const hostIf = `${name}h`;
  await runCommand('ip', ['netns', 'add', name]);
  cleanups.push(() => runCommand('ip', ['netns', 'del', name]));
  await runCommand('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', `${name}n`]);
  // Deleting the namespace removes its end, and with it this one; this covers a failure before the move.
  cleanups.push(() => runCommand('ip', ['link', 'del', hostIf]).catch(() => undefined));
  await runCommand('ip', ['link', 'set', `${name}n`, 'netns', name]);
  await runCommand('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
  await runCommand('ip', ['link', 'set', hostIf, 'up']);
  const inNs = (...args: string[]) => runCommand('ip', ['netns', 'exec', name, 'ip', ...args]);
  await inNs('addr', 'add', `${nsAddress}/30`, 'dev', `${name}n`);
  await inNs('link', 'set', `${name}n`, 'up');
  await inNs('link', 'set', 'lo', 'up');
  return { name, hostIf, hostAddress, nsAddress };
}

/** Runs a node script inside a namespace; resolves once it prints its first line. */
async function spawnInNamespace(ns: string, script: string): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`namespace process exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`namespace process silent: ${err}`)), 10_000).unref();
  });
  return { child, firstLine };
}

// Answers with the source address it sees, then echoes.
const NODE_SERVER = (host: string, port: number) => `
  require('net').createServer({ allowHalfOpen: true }, (s) => { s.write(s.remoteAddress + '|'); s.pipe(s); })
    .listen(${port}, '${host}', () => console.log('ready'));`;

const CLIENT = (host: string, port: number, message: string) => `
  const s = require('net').connect({ host: '${host}', port: ${port}, allowHalfOpen: true });
  let got = ''; s.on('data', (d) => (got += d)); s.on('end', () => { console.log(got); s.end(); });
  s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
  s.setTimeout(5000, () => { console.log('error timeout'); process.exit(1); });
  s.end('${message}');`;

describe('IptablesNat to a node in a network namespace', () => {
  it('reaches the node from loopback, from the root-side address, and from a client host via PREROUTING', async () => {
    const id = uniqueId(5).toLowerCase();
    const used = await runCommand('ip', ['-4', '-o', 'addr']);
    let octet = 0;
    do octet = 1 + Math.floor(Math.random() * 250);
    while (used.includes(`10.213.${octet}.`));
    const node = await createNamespace(`btn${id}`, `10.213.${octet}.1`, `10.213.${octet}.2`);
    const client = await createNamespace(`btc${id}`, `10.213.${octet}.5`, `10.213.${octet}.6`);
    const nodePort = 7000;
    await spawnInNamespace(node.name, NODE_SERVER(node.nsAddress, nodePort));

    const prefix = `BT${uniqueId(6)}`;
    const backend = newBackend(prefix);
    const [viaLoopback, viaHost, viaClient] = [await freePort(), await freePort(), await freePort()];
    await backend.sync([
      endpoint('r1/loopback', viaLoopback, nodePort, node.nsAddress, '127.0.0.1'),
      endpoint('r1/host', viaHost, nodePort, node.nsAddress, node.hostAddress),
      endpoint('r1/client', viaClient, nodePort, node.nsAddress, client.hostAddress),
    ]);

    // MASQUERADE makes every path arrive from the root side of the node's veth.
    const seen = `${node.hostAddress}|`;
    expect(await roundTrip('127.0.0.1', viaLoopback, 'lo')).toBe(`${seen}lo`);
    expect(await readFile(`/proc/sys/net/ipv4/conf/${node.hostIf}/route_localnet`, 'utf8')).toBe('1\n');
    expect(await roundTrip(node.hostAddress, viaHost, 'host')).toBe(`${seen}host`);
    const remote = await spawnInNamespace(client.name, CLIENT(client.hostAddress, viaClient, 'from-client'));
    expect(remote.firstLine).toBe(`${seen}from-client`);

    await backend.sync([]);
    await expect(roundTrip('127.0.0.1', viaLoopback, 'lo')).rejects.toThrow();
  });
});
