// What one connected agent costs a server process, below Berth: the resident memory of 1,000 idle
// connections (bare TLS, an http2 session, a grpc-js stream like the agent's) held by a server
// process while a client process opens them, and the CPU of one mutual-TLS handshake with and
// without TLS session tickets. Issue 11's controller RSS target is measured against these floors.
// Each variant runs in a fresh server process; the figures are RSS deltas over the idle server.
// It reports; it does not assert. Run: npm run bench:connections (BENCH_CONNECTIONS, default 1000).
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1000);
const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 600);
const KINDS = ['tls', 'http2', 'grpc'] as const;
type Kind = (typeof KINDS)[number];

interface Pems {
  key: Buffer;
  cert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
}

async function makePems(dir: string): Promise<Pems> {
  const run = promisify(execFile);
  for (const [name, cn] of [
    ['server', 'berth'],
    ['client', 'node'],
  ]) {
    // EC P-256 like Berth's own certificates.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      path.join(dir, `${name}.key`),
      '-out',
      path.join(dir, `${name}.crt`),
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
  }
  return readPems(dir);
}

/** The certificates makePems wrote to `dir` (the child processes read them from there too). */
async function readPems(dir: string): Promise<Pems> {
  const read = (f: string) => readFile(path.join(dir, f));
  return { key: await read('server.key'), cert: await read('server.crt'), clientKey: await read('client.key'), clientCert: await read('client.crt') };
}

const rssMiB = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))![1]) / 1024;
const passthrough = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

/** Child role: a server of one kind; prints its port, then its RSS each time a line arrives on stdin. */
async function serve(kind: Kind, pems: Pems): Promise<void> {
  let port: number;
  if (kind === 'grpc') {
    const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    server.addService(
      { chat: { path: '/bench.Bench/Chat', requestStream: true, responseStream: true, ...passthrough } },
      {
        chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          call.on('data', () => undefined);
          call.write(Buffer.from('ok'));
        },
      },
    );
    const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: pems.key, cert_chain: pems.cert }], false);
    port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  } else {
    const server =
      kind === 'tls'
        ? tls.createServer({ key: pems.key, cert: pems.cert }, (s) => s.on('data', () => undefined))
        : http2.createSecureServer({ key: pems.key, cert: pems.cert }).on('stream', (s) => s.respond({ ':status': 200 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  process.stdout.write(`port ${port}\n`);
  process.stdin.on('data', async () => {
    global.gc?.();
    process.stdout.write(`rss ${await rssMiB()}\n`);
  });
}

/** Child role: opens `count` idle connections of one kind, one at a time, then prints "open". */
async function connect(kind: Kind, port: number, count: number, pems: Pems): Promise<void> {
  const held: unknown[] = [];
  for (let i = 0; i < count; i++) {
    if (kind === 'grpc') {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(pems.cert, null, null, { checkServerIdentity: () => undefined }), {
        'grpc.use_local_subchannel_pool': 1,
        // A host name for SNI: Node warns when the server name is an IP address.
        'grpc.ssl_target_name_override': 'berth',
      });
      const call = client.makeBidiStreamRequest('/bench.Bench/Chat', passthrough.requestSerialize, passthrough.responseDeserialize);
      await new Promise((resolve) => {
        call.once('data', resolve);
        call.write(Buffer.from('hi'));
      });
      held.push(client, call);
    } else if (kind === 'tls') {
      held.push(
        await new Promise((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port, ca: pems.cert, checkServerIdentity: () => undefined }, () => resolve(s));
        }),
      );
    } else {
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pems.cert, checkServerIdentity: () => undefined });
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      await new Promise((resolve) => stream.once('response', resolve));
      held.push(session, stream);
    }
  }
  process.stdout.write('open\n');
  setInterval(() => undefined, 1 << 30);
}

function lines(child: ReturnType<typeof spawn>): () => Promise<string> {
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += String(d);
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve)));
}

const self = (args: string[], dir: string) =>
  spawn(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, ...args, '--pems', dir], { stdio: ['pipe', 'pipe', 'inherit'] });

async function perConnectionKiB(kind: Kind, dir: string): Promise<{ idle: number; loaded: number; perConnection: number }> {
  const server = self(['--serve', kind], dir);
  const fromServer = lines(server);
  const port = Number((await fromServer()).split(' ')[1]);
  server.stdin!.write('\n');
  const idle = Number((await fromServer()).split(' ')[1]);
  const client = self(['--connect', kind, '--port', String(port), '--count', String(CONNECTIONS)], dir);
  await lines(client)();
  server.stdin!.write('\n');
  const loaded = Number((await fromServer()).split(' ')[1]);
  client.kill();
  server.kill();
  return { idle, loaded, perConnection: ((loaded - idle) * 1024) / CONNECTIONS };
}

/** CPU (both ends, one process) per mutual-TLS handshake, as the agent's stream makes them. */
async function handshakeCpuMs(pems: Pems, tickets: boolean): Promise<number> {
  const server = tls.createServer(
    { key: pems.key, cert: pems.cert, ca: pems.clientCert, requestCert: true, ...(tickets ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }) },
    (s) => s.end(),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const once = () =>
    new Promise<void>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: pems.cert, key: pems.clientKey, cert: pems.clientCert, checkServerIdentity: () => undefined });
      s.on('data', () => undefined)
        .on('close', () => resolve())
        .on('error', () => resolve());
    });
  for (let i = 0; i < 20; i++) await once(); // warm-up
  const t0 = process.cpuUsage();
  for (let i = 0; i < HANDSHAKES; i++) await once();
  const used = process.cpuUsage(t0);
  server.close();
  return (used.user + used.system) / 1000 / HANDSHAKES;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const pemDir = arg('--pems');
  if (pemDir) {
    const pems = await readPems(pemDir);
    if (arg('--serve')) return serve(arg('--serve') as Kind, pems);
    return connect(arg('--connect') as Kind, Number(arg('--port')), Number(arg('--count')), pems);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-conn-bench-'));
  try {
    const pems = await makePems(dir);
    console.log(`connection cost: ${CONNECTIONS} idle connections per variant (server RSS after a GC, MiB), ${HANDSHAKES} handshakes per variant`);
    for (const kind of KINDS) {
      const r = await perConnectionKiB(kind, dir);
      console.log(`  ${kind.padEnd(6)} server RSS ${r.idle.toFixed(1)} -> ${r.loaded.toFixed(1)} MiB: ${r.perConnection.toFixed(0)} KiB per connection`);
    }
    // Alternated, so a drift of the machine weighs on both.
    const runs: Record<'tickets' | 'none', number[]> = { tickets: [], none: [] };
    for (let round = 0; round < 3; round++) {
      runs.tickets.push(await handshakeCpuMs(pems, true));
      runs.none.push(await handshakeCpuMs(pems, false));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `  mutual-TLS handshake CPU (both ends): ${median(runs.tickets).toFixed(2)} ms with session tickets, ${median(runs.none).toFixed(2)} ms with SSL_OP_NO_TICKET (median of 3)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
