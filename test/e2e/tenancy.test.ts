// Tenancy through real processes (controller, agent, Docker): isolation between customers,
// admin-only routes, what customers see of nodes, refusals and /metrics, live cost and `berth
// bill`, quotas, extension, and hostile strings.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { removeNodeContainers } from '../support/host.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';

let controller: ControllerProcess;
let agent: AgentProcess;
let admin: ApiClient;
let alice: ApiClient;
let bob: ApiClient;
let nodeCores: number;
const node = uniqueName('tenancy');
const H = 3_600_000;

async function customer(username: string): Promise<ApiClient> {
  const res = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
    username,
    email: `${username}@example.com`,
    password: `Pw-${Buffer.from(username).toString('hex')}`,
  });
  expect(res.status).toBe(201);
  return new ApiClient(controller.url, res.body.token, controller.ca);
}

async function waitForPhase(client: ApiClient, name: string, phase: string) {
  return waitFor(
    async () => {
      const { body } = await client.get('reservations', name);
      return body?.status?.phase === phase ? body : undefined;
    },
    { timeoutMs: 30_000, what: `${name} to be ${phase}` },
  );
}

const cliAs = (token: string, args: string[]) => runCli(args, { env: controller.cliEnv(token) });

beforeAll(async () => {
  controller = await startController({ nat: 'userspace' });
  admin = controller.api;
  agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node });
  const nodeObj = await waitForNodeReady(controller, node, agent);
  nodeCores = nodeObj.spec.cores;
  expect((await admin.apply(webImage('web', { pricePerCoreHour: 120 }))).status).toBe(201);
  expect((await admin.apply(webImage('big', { resources: { cores: nodeCores, memory: '64Mi', maxCores: nodeCores } }))).status).toBe(201);
  alice = await customer('alice');
  bob = await customer('bob');
});

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  if (controller) await removeDir(controller.dataDir);
});

describe('isolation between customers', () => {
  beforeAll(async () => {
    expect((await alice.apply(reservation('a1', { cores: 1 }))).status).toBe(201);
  });

  // Every route that names or lists reservations, as bob acting on alice's "a1".
  const foreign: Array<[string, string, string, unknown?]> = [
    ['GET', '/api/v1/reservations/a1', 'read'],
    ['DELETE', '/api/v1/reservations/a1', 'delete'],
    ['POST', '/api/v1/reservations/a1/extend', 'extend', { by: '30m' }],
  ];
  for (const [method, path, what, body] of foreign) {
    it(`answers 404 when a customer tries to ${what} another customer's reservation (${method} ${path})`, async () => {
      const res = await bob.request(method, path, body);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NotFound');
      expect((await alice.get('reservations', 'a1')).body.status.phase).not.toMatch(/Deleted|Expired/);
    });
  }

  it("lists, events and bills only the caller's own objects", async () => {
    expect((await bob.list('reservations')).body.items).toEqual([]);
    expect((await bob.request('GET', '/api/v1/events?name=a1')).body.items).toEqual([]);
    expect((await bob.request('GET', '/api/v1/bill')).body).toMatchObject({ user: 'bob', lines: [] });
    expect((await alice.list('reservations')).body.items.map((r: { metadata: { name: string } }) => r.metadata.name)).toEqual(['a1']);
  });

  it('keeps reservation names unique per customer, not globally', async () => {
    const mine = await bob.apply(reservation('a1', { cores: 1, start: new Date(Date.now() + 10 * H).toISOString() }));
    expect(mine.status).toBe(201);
    expect(mine.body.object.metadata.uid).not.toBe((await alice.get('reservations', 'a1')).body.metadata.uid);
    expect((await alice.apply(reservation('a1', { cores: 1 }))).body.action).toBe('unchanged');
    expect((await bob.delete('reservations', 'a1')).status).toBe(200);
  });

  // Admin-only routes and verbs, as a customer.
  const adminOnly: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/users'],
    ['GET', '/api/v1/users/alice'],
    ['PUT', '/api/v1/users/bob/quota', { maxCores: 100 }],
    ['GET', '/api/v1/bills'],
    ['GET', '/api/v1/bill?user=alice'],
    ['POST', '/api/v1/apply', webImage('evil')],
    ['POST', '/api/v1/apply', webImage('web', { pricePerCoreHour: 0 })],
    ['DELETE', '/api/v1/images/web'],
  ];
  for (const [method, path, body] of adminOnly) {
    it(`refuses a customer ${method} ${path} with 403`, async () => {
      const res = await bob.request(method, path, body);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('Forbidden');
    });
  }

  for (const path of ['/api/v1/images', '/api/v1/images/web', '/api/v1/nodes', `/api/v1/nodes/${node}`]) {
    it(`lets a customer read ${path}`, async () => {
      expect((await bob.request('GET', path)).status).toBe(200);
    });
  }

  it('shows admins everything, with the owner', async () => {
    const all = (await admin.list('reservations')).body.items;
    expect(all.find((r: { metadata: { name: string } }) => r.metadata.name === 'a1').metadata.owner).toBe('alice');
    expect((await admin.get('reservations', 'a1')).status).toBe(200);
  });
});

describe('what a customer sees of the cluster', () => {
  const nodeOf = (items: Array<{ metadata: { name: string } }>) => items.find((n) => n.metadata.name === node);

  it("shows a customer each node's name, readiness and size, and not its address, load or usage", async () => {
    const full = (await admin.get('nodes', node)).body;
    expect(full.spec.address).toBe('127.0.0.1');
    expect(full.status).toHaveProperty('usage');
    expect(full.status).toHaveProperty('lastHeartbeat');
    for (const seen of [nodeOf((await bob.list('nodes')).body.items), (await bob.get('nodes', node)).body]) {
      expect(seen.spec).toEqual({ cores: nodeCores, memory: full.spec.memory, unschedulable: false });
      expect(seen.status).toEqual({ conditions: [expect.objectContaining({ type: 'Ready', status: 'True' })], capacity: full.status.capacity });
      expect(JSON.stringify(seen)).not.toMatch(/address|127\.0\.0\.1|usage|metrics|lastHeartbeat/);
    }
  });

  it('keeps the node metric history for admins', async () => {
    const refused = await bob.request('GET', `/api/v1/nodes/${node}/metrics?range=15m`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'Forbidden', message: 'only admins can read node metrics' });
    expect((await admin.request('GET', `/api/v1/nodes/${node}/metrics?range=15m`)).status).toBe(200);
  });

  it('prints `berth get nodes` for both roles, the address only for the admin', async () => {
    const asBob = await cliAs(bob.token, ['get', 'nodes']);
    expect(asBob.code).toBe(0);
    expect(asBob.stdout).toMatch(new RegExp(`^${node}\\s+Ready\\s+<none>\\s+${nodeCores}\\s`, 'm'));
    const asAdmin = await cliAs(admin.token, ['get', 'nodes']);
    expect(asAdmin.stdout).toMatch(new RegExp(`^${node}\\s+Ready\\s+127\\.0\\.0\\.1\\s+${nodeCores}\\s`, 'm'));
  });

  it('tells a customer whose reservation finds no room the window and a count per reason, an admin every node', async () => {
    expect((await admin.request('POST', `/api/v1/nodes/${node}/cordon`)).status).toBe(200);
    try {
      const refused = await bob.apply(reservation('no-room'));
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('NoResources');
      expect(refused.body.error.message).toMatch(/^no resources available for 1 core and 64Mi from \S+ to \S+: no node has room \(1 is cordoned\)$/);
      expect(refused.body.error.details).toEqual({
        window: { start: expect.any(String), end: expect.any(String) },
        summary: [{ reason: 'is cordoned', nodes: 1 }],
      });
      expect(JSON.stringify(refused.body)).not.toContain(node);

      const asAdmin = await admin.apply(reservation('no-room'));
      expect(asAdmin.status).toBe(409);
      expect(asAdmin.body.error.message).toContain(`(${node}: node is cordoned)`);
      expect(asAdmin.body.error.details.rejections).toEqual([{ node, reason: 'node is cordoned' }]);
      expect((await bob.get('reservations', 'no-room')).status).toBe(404);
    } finally {
      expect((await admin.request('POST', `/api/v1/nodes/${node}/uncordon`)).status).toBe(200);
    }
  });

  it("names no reservation in an anonymous or a customer's /metrics scrape, and all of them to an admin", async () => {
    // Its own customer: a reservation that ran is billed, and alice's bill is checked below.
    const carol = await customer('carol');
    const name = 'secret-project-x';
    expect((await carol.apply(reservation(name))).status).toBe(201);
    await waitForPhase(carol, name, 'Running');
    const scrape = (token?: string) => controller.fetch(`${controller.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const full = await waitFor(
      async () => {
        const text = await (await scrape(admin.token)).text();
        return text.includes(`reservation="${name}"`) ? text : undefined;
      },
      { timeoutMs: 30_000, what: 'the container series of the running reservation' },
    );
    expect(full).toMatch(new RegExp(`^berth_container_restarts\\{node="${node}",reservation="${name}"\\} 0$`, 'm'));
    for (const token of [undefined, carol.token, alice.token]) {
      const res = await scrape(token);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^berth_reservations\{phase="Running"\} [1-9]/m);
      expect(text).not.toContain(name);
      expect(text).not.toContain('reservation=');
    }
    expect((await scrape('berth_not-a-real-token')).status).toBe(401);
    await carol.delete('reservations', name);
  });
});

describe('billing', () => {
  it('shows the live cost at the image rate and a monthly statement in `berth bill`', async () => {
    const running = await waitForPhase(alice, 'a1', 'Running');
    expect(running.status.cost).toEqual({ cents: 120, currency: 'USD', hours: 1 });
    const bill = await cliAs(alice.token, ['bill']);
    expect(bill.stderr).toBe('');
    expect(bill.stdout).toMatch(/Statement for alice/);
    expect(bill.stdout).toMatch(/a1\s+web\s+1\s+1\s+\$1\.20\/core-h\s+\$1\.20/);
    expect(bill.stdout).toContain('Total: $1.20');
    const all = await cliAs(admin.token, ['bill', '--all']);
    expect(all.stdout).toMatch(/alice\s+customer\s+1\s+1\s+\$1\.20/);
    const refused = await cliAs(alice.token, ['bill', '--all']);
    expect(refused.code).toBe(3);
  });

  it('keeps the price a reservation was admitted at when the image price changes later', async () => {
    expect((await admin.apply(webImage('web', { pricePerCoreHour: 300 }))).status).toBe(200);
    try {
      expect((await alice.get('reservations', 'a1')).body.status.cost).toEqual({ cents: 120, currency: 'USD', hours: 1 });
      expect((await cliAs(alice.token, ['bill'])).stdout).toContain('Total: $1.20');
    } finally {
      expect((await admin.apply(webImage('web', { pricePerCoreHour: 120 }))).status).toBe(200);
    }
  });
});

describe('quotas and extension', () => {
  it('sets a quota from the admin CLI and refuses requests over it, naming the quota', async () => {
    const set = await cliAs(admin.token, ['admin', 'set-quota', 'alice', '--max-cores', '1', '--max-duration', '2h', '--max-advance', '1d']);
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain('maxCores=1');

    const overlap = await alice.apply(reservation('a2', { cores: 1 }));
    expect(overlap.status).toBe(403);
    expect(overlap.body.error).toMatchObject({ code: 'QuotaExceeded', details: { quota: 'maxCores' } });
    expect(overlap.body.error.message).toMatch(/maxCores/);
    const long = await alice.apply(reservation('a3', { cores: 1, duration: '3h', start: new Date(Date.now() + 5 * H).toISOString() }));
    expect(long.body.error).toMatchObject({ code: 'QuotaExceeded', details: { quota: 'maxDurationMs' } });
    expect(long.body.error.message).toMatch(/maxDuration/);
    const ahead = await alice.apply(reservation('a4', { cores: 1, start: new Date(Date.now() + 48 * H).toISOString() }));
    expect(ahead.body.error).toMatchObject({ code: 'QuotaExceeded', details: { quota: 'maxAdvanceMs' } });
    expect((await alice.get('reservations', 'a2')).status).toBe(404);

    const tooLong = await alice.request('POST', '/api/v1/reservations/a1/extend', { by: '90m' });
    expect(tooLong.body.error).toMatchObject({ code: 'QuotaExceeded', details: { quota: 'maxDurationMs' } });
  });

  it('extends a reservation with `berth extend`, and the bill follows the new end', async () => {
    const before = (await alice.get('reservations', 'a1')).body;
    const out = await cliAs(alice.token, ['extend', 'a1', '--by', '30m']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain('reservation/a1 extended');
    const after = (await alice.get('reservations', 'a1')).body;
    expect(Date.parse(after.status.endTime) - Date.parse(before.status.endTime)).toBe(30 * 60_000);
    expect(after.spec.duration).toBe('1h30m');
    expect(after.status.phase).toBe('Running');
  });

  it("refuses an extension when the node has no room for the extra window, with the scheduler's 409", async () => {
    const a1 = (await alice.get('reservations', 'a1')).body;
    const blocker = await admin.apply(reservation('blocker', { image: 'big', cores: nodeCores, start: a1.status.endTime, duration: '1h' }));
    expect(blocker.status).toBe(201);
    const refused = await alice.request('POST', '/api/v1/reservations/a1/extend', { by: '10m' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NoResources');
    expect((await alice.get('reservations', 'a1')).body.status.endTime).toBe(a1.status.endTime);
    await admin.delete('reservations', 'blocker');
  });
});

describe('hostile strings', () => {
  const marker = `/tmp/berth-inj-${process.pid}`;
  const sql = `'; DROP TABLE "User";--`;

  it('refuses injection attempts in names with a clear validation error', async () => {
    for (const name of ['../../etc/passwd', sql, `$(touch ${marker})`]) {
      const res = await bob.apply(reservation(name));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Invalid', field: 'metadata.name' });
    }
    const traversal = await bob.request('GET', `/api/v1/reservations/${encodeURIComponent('../../etc/passwd')}`);
    expect(traversal.status).toBe(404);
    const user = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
      username: sql,
      email: 'x@example.com',
      password: 'Pw-123456789',
    });
    expect(user.body.error).toMatchObject({ code: 'Invalid', field: 'username' });
    const login = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/login', { username: `admin' --`, password: sql });
    expect(login.status).toBe(401);
  });

  it('stores hostile label and env values verbatim and runs them without effect', async () => {
    const hostile = reservation('hostile', { cores: 1, env: { A: `$(touch ${marker})`, B: sql, C: '../../etc/passwd' } });
    (hostile.metadata as Record<string, unknown>).labels = { note: sql, path: '../../etc/passwd' };
    expect((await bob.apply(hostile)).status).toBe(201);
    const stored = await waitForPhase(bob, 'hostile', 'Running');
    expect(stored.spec.env).toEqual({ A: `$(touch ${marker})`, B: sql, C: '../../etc/passwd' });
    expect(stored.metadata.labels).toEqual({ note: sql, path: '../../etc/passwd' });
    expect(existsSync(marker)).toBe(false);
    expect((await admin.request('GET', '/api/v1/users')).body.items.length).toBeGreaterThanOrEqual(3);
    expect((await bob.delete('reservations', 'hostile')).status).toBe(200);
  });
});
