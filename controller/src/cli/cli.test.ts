// Runs the `berth` program in-process (main with argv and captured stdout/stderr, the real HTTP
// client) against a small local HTTP server that speaks the REST contract with canned answers and
// records what the CLI sent. The executable itself, as a subprocess against a real controller, is
// test/e2e/cli.test.ts (and the streaming commands through it, test/e2e/monitoring.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { updateConfigFile, upsertContext } from '../client-config/index.ts';
import type { CliDeps } from './deps.ts';
import { main } from './main.ts';
import { nodeRequest } from './node-request.ts';

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body?: unknown;
}
type Reply = { status: number; body: unknown };

let server: Server;
let url: string;
let home: string;
let requests: Recorded[];
let routes: Record<string, Reply | ((body: any) => Reply)>;
/** Long-lived answers (watch, logs): the test writes to the response itself. */
let streams: Record<string, (res: ServerResponse) => void>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req
      .setEncoding('utf8')
      .on('data', (c: string) => (data += c))
      .on('end', () => resolve(data))
      .on('error', reject);
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  server = createServer(async (req, res) => {
    const text = await readBody(req);
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
    const stream = streams[`${req.method} ${req.url}`];
    if (stream) return stream(res);
    const route = routes[`${req.method} ${req.url}`];
    const reply = typeof route === 'function' ? route(body) : (route ?? { status: 404, body: { error: { code: 'NotFound', message: `no route ${req.url}` } } });
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  routes = {};
  streams = {};
});

/** The ports of a `berth` process whose environment is only PATH, HOME and the given variables. */
function cliDeps(out: { stdout: string; stderr: string }, opts: { stdin?: string; env?: Record<string, string> } = {}): CliDeps {
  return {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: { PATH: process.env.PATH ?? '', HOME: home, BERTH_SERVER: url, BERTH_TOKEN: 'tok', ...opts.env },
    readStdin: async () => opts.stdin ?? '',
    fetch: nodeRequest,
    now: () => new Date(),
  };
}

async function runCli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const out = { stdout: '', stderr: '' };
  const code = await main(args, cliDeps(out, opts));
  return { code, ...out };
}

/** The CLI running, its output readable while it runs. */
function startCli(args: string[]) {
  const out = { stdout: '', stderr: '' };
  const waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) if (w.test()) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  };
  const deps = cliDeps(out);
  const done = main(args, {
    ...deps,
    stdout: (t) => {
      out.stdout += t;
      check();
    },
  });
  return {
    out,
    done,
    /** Resolves once stdout contains `text` (the test's timeout bounds it). */
    stdoutHas: (text: string) =>
      new Promise<void>((resolve) => {
        waiters.push({ test: () => out.stdout.includes(text), resolve });
        check();
      }),
  };
}

const meta = (name: string) => ({ name, uid: `uid-${name}`, labels: {}, generation: 1, creationTimestamp: new Date().toISOString() });
const imageObj = {
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: meta('web'),
  spec: { ref: 'web:1', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: 128 } },
  status: {},
};
const resObj = {
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: meta('demo'),
  spec: { image: 'web', start: '2026-01-01T10:00:00Z', duration: '2h', profile: 'ephemeral' },
  status: {
    phase: 'Running',
    node: 'cn1',
    endpoints: [{ name: 'http', port: 80, address: '127.0.0.1:30001' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'up', lastTransitionTime: '2026-01-01T10:00:05Z' }],
    observedGeneration: 1,
    startTime: '2026-01-01T10:00:00Z',
    endTime: '2026-01-01T12:00:00Z',
  },
};
const MANIFESTS = `apiVersion: berth/v1
kind: Image
metadata:
  name: web
spec:
  ref: web:1
  resources: { cores: 1, memory: 128Mi }
---
apiVersion: berth/v1
kind: Reservation
metadata:
  name: demo
spec:
  image: web
  duration: 2h
`;

function applyRoute(outcomes: Record<string, Reply>) {
  return (body: { metadata: { name: string } }) => outcomes[body.metadata.name];
}

describe('berth apply', () => {
  it('applies every document in order and prints kind/name action', async () => {
    const file = join(home, 'app.yaml');
    writeFileSync(file, MANIFESTS);
    routes['POST /api/v1/apply'] = applyRoute({
      web: { status: 201, body: { action: 'created', object: imageObj } },
      demo: { status: 200, body: { action: 'configured', object: resObj } },
    });
    const r = await runCli(['apply', '-f', file]);
    expect(r).toEqual({ code: 0, stdout: 'image/web created\nreservation/demo configured\n', stderr: '' });
    expect(requests.map((q) => [q.method, q.url, q.authorization, (q.body as any).kind])).toEqual([
      ['POST', '/api/v1/apply', 'Bearer tok', 'Image'],
      ['POST', '/api/v1/apply', 'Bearer tok', 'Reservation'],
    ]);
    expect((requests[0].body as any).spec.resources).toEqual({ cores: 1, memory: '128Mi' });
  });

  it('reads manifests from stdin', async () => {
    routes['POST /api/v1/apply'] = applyRoute({
      web: { status: 200, body: { action: 'unchanged', object: imageObj } },
      demo: { status: 200, body: { action: 'unchanged', object: resObj } },
    });
    const r = await runCli(['apply', '-f', '-'], { stdin: MANIFESTS });
    expect(r.stdout).toBe('image/web unchanged\nreservation/demo unchanged\n');
    expect(r.code).toBe(0);
  });

  it('continues past a rejected object and exits with its catalog code', async () => {
    routes['POST /api/v1/apply'] = applyRoute({
      web: { status: 400, body: { error: { code: 'Invalid', message: 'spec.ref: must be an image reference', field: 'spec.ref' } } },
      demo: { status: 201, body: { action: 'created', object: resObj } },
    });
    const r = await runCli(['apply', '-f', '-'], { stdin: MANIFESTS });
    expect(r.stdout).toBe('reservation/demo created\n');
    expect(r.stderr).toBe('error: image/web: spec.ref: must be an image reference (field: spec.ref)\n');
    expect(r.code).toBe(2);
  });

  it('checks each document against the API schema first, naming where a bad one is', async () => {
    routes['POST /api/v1/apply'] = applyRoute({ web: { status: 201, body: { action: 'created', object: imageObj } } });
    const r = await runCli(['apply', '-f', '-'], { stdin: MANIFESTS.replace('duration: 2h', 'duration: soon') });
    expect(r.stdout).toBe('image/web created\n');
    expect(r.stderr).toBe('error: reservation/demo: <stdin> document 2: spec.duration: must be a duration such as 90m or 2h (field: spec.duration)\n');
    expect(r.code).toBe(2);
    expect(requests).toHaveLength(1);
  });

  it('lists per-node reasons when admission finds no room', async () => {
    routes['POST /api/v1/apply'] = {
      status: 409,
      body: {
        error: {
          code: 'NoResources',
          message: 'no resources available for 2026-01-01T10:00:00Z..2026-01-01T12:00:00Z',
          details: {
            rejections: [
              { node: 'cn1', reason: 'needs 4096Mi, 1024Mi free' },
              { node: 'cn2', reason: 'cordoned' },
            ],
          },
        },
      },
    };
    const r = await runCli(['apply', '-f', '-'], { stdin: MANIFESTS.split('---\n')[1] });
    expect(r.stderr).toBe(
      'error: reservation/demo: no resources available for 2026-01-01T10:00:00Z..2026-01-01T12:00:00Z\n' +
        '  cn1: needs 4096Mi, 1024Mi free\n  cn2: cordoned\n',
    );
    expect(r.code).toBe(6);
  });

  it('rejects a malformed file before sending anything, naming file, document and line', async () => {
    const file = join(home, 'broken.yaml');
    writeFileSync(file, `${MANIFESTS}---\n- not\n- a mapping\n`);
    const r = await runCli(['apply', '-f', file]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${file}: document 3 (line 17): a manifest must be a mapping, got a sequence (field: filename)\n`,
    });
    expect(requests).toEqual([]);
  });
});

describe('berth get, describe, delete', () => {
  it('prints a table for a list, using the short kind name', async () => {
    routes['GET /api/v1/reservations'] = { status: 200, body: { apiVersion: 'berth/v1', kind: 'ReservationList', items: [resObj] } };
    const r = await runCli(['get', 'res']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'IMAGE', 'PHASE', 'NODE', 'ENDPOINTS', 'START', 'END']);
    expect(r.stdout.split('\n')[1].split(/\s{2,}/)).toEqual([
      'demo',
      'web',
      'Running',
      'cn1',
      '127.0.0.1:30001',
      '2026-01-01T10:00:00Z',
      '2026-01-01T12:00:00Z',
    ]);
  });

  it('prints one object as JSON and a list as YAML', async () => {
    routes['GET /api/v1/reservations/demo'] = { status: 200, body: resObj };
    const one = await runCli(['get', 'reservation', 'demo', '-o', 'json']);
    expect(JSON.parse(one.stdout)).toEqual(resObj);
    routes['GET /api/v1/images'] = { status: 200, body: { apiVersion: 'berth/v1', kind: 'ImageList', items: [imageObj] } };
    const list = await runCli(['get', 'img', '-o', 'yaml']);
    expect(parse(list.stdout)).toEqual({ apiVersion: 'berth/v1', kind: 'ImageList', items: [imageObj] });
  });

  it('says so on stderr when a list is empty', async () => {
    routes['GET /api/v1/nodes'] = { status: 200, body: { apiVersion: 'berth/v1', kind: 'NodeList', items: [] } };
    expect(await runCli(['get', 'no'])).toEqual({ code: 0, stdout: '', stderr: 'No nodes found.\n' });
  });

  it('prints the server error in one line with the catalog exit code', async () => {
    routes['GET /api/v1/reservations/ghost'] = { status: 404, body: { error: { code: 'NotFound', message: 'reservation "ghost" not found' } } };
    expect(await runCli(['get', 'reservation/ghost'])).toEqual({ code: 4, stdout: '', stderr: 'error: reservation "ghost" not found\n' });
  });

  it('maps an unauthenticated answer to exit 3 and a non-contract failure to exit 1', async () => {
    routes['GET /api/v1/images'] = { status: 401, body: { error: { code: 'Unauthenticated', message: 'invalid token' } } };
    expect(await runCli(['get', 'images'])).toMatchObject({ code: 3, stderr: 'error: invalid token\n' });
    routes['GET /api/v1/images'] = { status: 500, body: 'oops' };
    expect(await runCli(['get', 'images'])).toMatchObject({ code: 1, stderr: 'error: server answered HTTP 500 Internal Server Error\n' });
  });

  it('describes an object with its events', async () => {
    routes['GET /api/v1/reservations/demo'] = { status: 200, body: resObj };
    routes['GET /api/v1/events?kind=Reservation&name=demo'] = {
      status: 200,
      body: {
        apiVersion: 'berth/v1',
        kind: 'EventList',
        items: [
          {
            type: 'Normal',
            reason: 'Started',
            message: 'container started on cn1',
            involvedObject: { kind: 'Reservation', name: 'demo' },
            time: '2026-01-01T10:00:04Z',
          },
        ],
      },
    };
    routes['GET /api/v1/reservations/demo/deliveries'] = {
      status: 200,
      body: { items: [{ event: 'started', host: 'hooks.example.com', attempt: 2, statusCode: 200, time: '2026-01-01T10:00:06Z' }] },
    };
    const r = await runCli(['describe', 'res', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name: +demo\n/);
    expect(r.stdout).toMatch(/Endpoints:\n {2}NAME +PORT +ADDRESS\n {2}http +80 +127\.0\.0\.1:30001\n/);
    expect(r.stdout).toMatch(/Events:\n {2}AGE +TYPE +REASON +MESSAGE\n {2}\S+ +Normal +Started +container started on cn1\n/);
    expect(r.stdout).toMatch(/Webhook deliveries:\n {2}AGE +EVENT +HOST +ATTEMPT +STATUS +ERROR\n {2}\S+ +started +hooks\.example\.com +2 +200\n$/);
  });

  it('deletes by name and prints kind/name deleted', async () => {
    routes['DELETE /api/v1/reservations/demo'] = { status: 200, body: { ...resObj, status: { ...resObj.status, phase: 'Deleted' } } };
    expect(await runCli(['delete', 'reservations', 'demo'])).toEqual({ code: 0, stdout: 'reservation/demo deleted\n', stderr: '' });
    expect(requests.map((q) => `${q.method} ${q.url}`)).toEqual(['DELETE /api/v1/reservations/demo']);
  });

  it('uses the token from the config file named by BERTH_CONFIG', async () => {
    const cfg = join(home, 'named-config');
    updateConfigFile(cfg, (c) => upsertContext(c, { name: 'local', server: url, token: 'from-file' }, 'always'));
    routes['GET /api/v1/images'] = { status: 200, body: { apiVersion: 'berth/v1', kind: 'ImageList', items: [imageObj] } };
    const r = await runCli(['get', 'images'], { env: { BERTH_SERVER: '', BERTH_TOKEN: '', BERTH_CONFIG: cfg } });
    expect(r.code).toBe(0);
    expect(requests[0].authorization).toBe('Bearer from-file');
  });
});

describe('usage and connection errors', () => {
  it('rejects an unknown kind, command or flag with one line and exit 2', async () => {
    const kind = await runCli(['get', 'pods']);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/^error: unknown resource type "pods"; known types: .*\n$/);
    for (const args of [['frobnicate'], ['get', 'images', '--nope']]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: unknown (command|option)/);
    }
    expect(requests).toEqual([]);
  });

  it('reports an unreachable server with the Unavailable exit code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const r = await runCli(['get', 'nodes'], { env: { BERTH_SERVER: deadUrl } });
    expect(r.code).toBe(8);
    expect(r.stderr).toBe(`error: cannot reach the Berth server at ${deadUrl}: connect ECONNREFUSED ${deadUrl.slice(7)}\n`);
  });
});

describe('berth get -w', () => {
  it('prints the header as soon as the server answers, then one aligned row per event; a deleted reservation reads Deleted', async () => {
    let send!: (line: string | null) => void;
    streams['GET /api/v1/reservations?watch=1'] = (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.flushHeaders();
      send = (line) => (line === null ? res.end() : res.write(`${line}\n`));
    };
    const cli = startCli(['get', 'reservations', '-w']);
    // No event has been sent: the header alone must be there already.
    await cli.stdoutHas('\n');
    expect(cli.out.stdout).toMatch(/^EVENT +NAME +IMAGE +PHASE +NODE +ENDPOINTS +START +END\n$/);
    send(JSON.stringify({ type: 'ADDED', object: resObj }));
    await cli.stdoutHas('ADDED');
    send(JSON.stringify({ type: 'DELETED', object: resObj }));
    send(null);
    expect(await cli.done).toBe(0);
    const lines = cli.out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^ADDED +demo +web +Running +cn1 +127\.0\.0\.1:30001 +2026-01-01T10:00:00Z +2026-01-01T12:00:00Z$/);
    expect(lines[2]).toMatch(/^DELETED +demo +web +Deleted +cn1 +<none> +2026-01-01T10:00:00Z/);
    for (const column of ['NAME', 'PHASE', 'ENDPOINTS', 'END']) {
      const at = lines[0]!.indexOf(` ${column}`) + 1;
      expect(lines.slice(1).map((l) => l[at - 1] === ' ' && l[at] !== ' ')).toEqual([true, true]);
    }
  });

  it('keeps the final phase of a reservation that had ended before it left the list', async () => {
    streams['GET /api/v1/reservations?watch=1'] = (res) => {
      const expired = { ...resObj, status: { ...resObj.status, phase: 'Expired', endpoints: [] } };
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(`${JSON.stringify({ type: 'DELETED', object: expired })}\n`);
    };
    const cli = startCli(['get', 'reservations', '-w']);
    expect(await cli.done).toBe(0);
    expect(cli.out.stdout.split('\n')[1]).toMatch(/^DELETED +demo +web +Expired /);
  });
});

describe('berth logs', () => {
  it('says on stderr that a container has no log lines yet, and prints nothing on stdout', async () => {
    streams['GET /api/v1/reservations/demo/logs'] = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end();
    const cli = startCli(['logs', 'demo']);
    expect(await cli.done).toBe(0);
    expect(cli.out).toEqual({ stdout: '', stderr: 'reservation demo: no log lines yet\n' });
  });

  it('prints the lines as they come and nothing on stderr when there are some', async () => {
    streams['GET /api/v1/reservations/demo/logs'] = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello\n');
    const cli = startCli(['logs', 'demo']);
    expect(await cli.done).toBe(0);
    expect(cli.out).toEqual({ stdout: 'hello\n', stderr: '' });
  });
});
