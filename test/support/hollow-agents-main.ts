// The hollow agents process: `node --import tsx test/support/hollow-agents-main.ts --controller
// HOST:PORT --nodes N [--prefix P] [--cores 16] [--memory-gib 64 | --memory-bytes B]
// [--address-base 10.200] [--resync-ms 5000]`, join token in BERTH_HOLLOW_JOIN_TOKEN (or
// --join-token). Controlled over the IPC channel when a parent spawned it with one (see
// HollowAgentsProcess), otherwise by JSON lines on stdin, answered on stdout:
//   {"id":1,"cmd":"stats"}   {"id":2,"cmd":"stop","nodes":["p-0003"]}   {"id":3,"cmd":"shutdown"}
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { HollowFleet, type HollowCommand, type HollowReply } from './hollow-agents.ts';

const { values } = parseArgs({
  options: {
    controller: { type: 'string' },
    'join-token': { type: 'string' },
    nodes: { type: 'string', default: '100' },
    prefix: { type: 'string', default: 'hollow' },
    cores: { type: 'string', default: '16' },
    'memory-gib': { type: 'string' },
    'memory-bytes': { type: 'string' },
    'address-base': { type: 'string', default: '10.200' },
    'resync-ms': { type: 'string', default: '5000' },
  },
});

function fail(message: string): never {
  process.stderr.write(`hollow-agents: ${message}\n`);
  process.exit(2);
}

const joinToken = values['join-token'] ?? process.env.BERTH_HOLLOW_JOIN_TOKEN;
if (!values.controller) fail('--controller HOST:PORT is required');
if (!joinToken) fail('join token: set BERTH_HOLLOW_JOIN_TOKEN or pass --join-token');
const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};
const memoryBytes =
  values['memory-bytes'] !== undefined
    ? int('memory-bytes', values['memory-bytes'], 16 * 1024 * 1024)
    : int('memory-gib', values['memory-gib'] ?? '64', 1) * 1024 ** 3;

const fleet = new HollowFleet({
  controller: values.controller,
  joinToken,
  nodes: int('nodes', values.nodes, 1),
  prefix: values.prefix!,
  cores: int('cores', values.cores, 1),
  memoryBytes,
  addressBase: values['address-base'],
  resyncIntervalMs: int('resync-ms', values['resync-ms'], 100),
});

const viaIpc = typeof process.send === 'function';
const send = (m: HollowReply): void => {
  if (viaIpc) process.send!(m);
  else process.stdout.write(`${JSON.stringify(m)}\n`);
};

let closing: Promise<void> | undefined;
const shutdown = (code = 0) => {
  closing ??= fleet.close().finally(() => {
    // Open gRPC channels would keep the process alive a while; everything is closed by now.
    setTimeout(() => process.exit(code), 50);
  });
  return closing;
};

async function handle(c: HollowCommand): Promise<void> {
  try {
    switch (c.cmd) {
      case 'stats':
        return send({ type: 'reply', id: c.id, ok: true, result: fleet.stats() });
      case 'stop':
        return send({ type: 'reply', id: c.id, ok: true, result: await fleet.stopNodes(c.nodes) });
      case 'shutdown':
        send({ type: 'reply', id: c.id, ok: true, result: null });
        await shutdown();
        return;
      default:
        return send({ type: 'reply', id: (c as { id: number }).id, ok: false, error: `unknown command ${JSON.stringify(c)}` });
    }
  } catch (err) {
    send({ type: 'reply', id: c.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

if (viaIpc) {
  process.on('message', (m: HollowCommand) => void handle(m));
  // The parent went away (crash, Ctrl-C): nodes must not outlive it.
  process.on('disconnect', () => void shutdown());
} else {
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      if (!line.trim()) return;
      try {
        void handle(JSON.parse(line) as HollowCommand);
      } catch {
        process.stderr.write(`hollow-agents: not a JSON command: ${line}\n`);
      }
    })
    .on('close', () => void shutdown());
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

fleet.start();
send({ type: 'started', nodes: fleet.names() });
