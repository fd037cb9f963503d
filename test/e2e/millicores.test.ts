// Fractions of a core through real processes (controller, agent, Docker): a reservation of
// `cores: 0.5` is stored exactly, limits its container to exactly half a core, uses half a core of
// its owner's quota and is billed for half a core.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { containersOfNode } from '../support/host.ts';
import { startSingleHost, type SingleHost } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
let host: SingleHost;
let admin: ApiClient;
let carol: ApiClient;

async function running(client: ApiClient, name: string) {
  return waitFor(
    async () => {
      const { body } = await client.get('reservations', name);
      return body?.status?.phase === 'Running' ? body : undefined;
    },
    { timeoutMs: 30_000, what: `${name} Running` },
  );
}

async function nanoCpusOf(reservationUid: string): Promise<number> {
  const container = (await containersOfNode(host.node)).find((c) => c.reservation === reservationUid);
  if (!container) throw new Error(`no container for reservation ${reservationUid}`);
  const { stdout } = await run('docker', ['inspect', '--format', '{{.HostConfig.NanoCpus}}', container.id]);
  return Number(stdout.trim());
}

const cliAs = (token: string, args: string[]) => runCli(args, { env: host.controller.cliEnv(token) });

beforeAll(async () => {
  host = await startSingleHost('milli', { nat: 'userspace' });
  admin = host.controller.api;
  expect((await admin.apply(webImage())).status).toBe(201);
  const signup = await new ApiClient(host.controller.url, '', host.controller.ca).request('POST', '/api/v1/auth/signup', {
    username: 'carol',
    email: 'carol@example.com',
    password: 'Half-core-99',
  });
  expect(signup.status).toBe(201);
  carol = new ApiClient(host.controller.url, signup.body.token, host.controller.ca);
  expect((await admin.request('PUT', '/api/v1/users/carol/quota', { maxCores: 1 })).status).toBe(200);
});

afterAll(async () => {
  await host?.stop();
});

describe('cores: 0.5', () => {
  it('stores half a core as written, grants 0.5 and limits the container to exactly 500,000,000 NanoCpus', async () => {
    const applied = await carol.apply(reservation('half-a', { cores: 0.5 }));
    expect(applied.status).toBe(201);
    expect(applied.body.object).toMatchObject({ spec: { cores: 0.5 }, status: { resources: { cores: 0.5 } } });
    const obj = await running(carol, 'half-a');
    expect(await nanoCpusOf(obj.metadata.uid)).toBe(500_000_000);
  });

  it('accepts the same half core spelled "500m" and shows it as written in spec, as 0.5 granted', async () => {
    const applied = await carol.apply(reservation('half-b', { cores: '500m' }));
    expect(applied.status).toBe(201);
    expect(applied.body.object).toMatchObject({ spec: { cores: '500m' }, status: { resources: { cores: 0.5 } } });
    const obj = await running(carol, 'half-b');
    expect(await nanoCpusOf(obj.metadata.uid)).toBe(500_000_000);
  });

  it('counts half a core against a 1-core quota: two fit, a third is QuotaExceeded and nothing is stored', async () => {
    const third = await carol.apply(reservation('half-c', { cores: 0.5 }));
    expect(third.status).toBe(403);
    expect(third.body.error).toMatchObject({ code: 'QuotaExceeded', details: { quota: 'maxCores' } });
    expect(third.body.error.message).toBe('quota maxCores exceeded: at most 1 concurrent cores, this window would hold 1.5');
    expect((await carol.get('reservations', 'half-c')).status).toBe(404);
    // The node's usage adds up the two halves exactly.
    expect((await admin.get('nodes', host.node)).body.status.usage).toMatchObject({ cores: 1, reservations: 2 });
  });

  it('bills half a core exactly: one started hour at $0.50 per core-hour is $0.25', async () => {
    expect((await carol.get('reservations', 'half-a')).body.status.cost).toEqual({ cents: 25, currency: 'USD', hours: 1 });
    const bill = (await carol.request('GET', '/api/v1/bill')).body;
    expect(bill.lines.map((l: { reservation: string; cores: number; cents: number }) => [l.reservation, l.cores, l.cents])).toEqual([
      ['half-a', 0.5, 25],
      ['half-b', 0.5, 25],
    ]);
    expect(bill.totalCents).toBe(50);
    const cli = await cliAs(carol.token, ['bill']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/half-a\s+web\s+0\.5\s+1\s+\$0\.50\/core-h\s+\$0\.25/);
    expect(cli.stdout).toContain('Total: $0.50');
  });

  it('shows granted cores as 0.5 in `berth get reservations -o wide`', async () => {
    const out = await cliAs(carol.token, ['get', 'reservations', '-o', 'wide']);
    expect(out.stderr).toBe('');
    const row = out.stdout.split('\n').find((l) => l.startsWith('half-b '));
    expect(row).toMatch(/\sephemeral\s+0\.5\s+64Mi\s/);
  });

  it("rounds a quarter core's 12.5 cents an hour up to 13 and limits it to 250,000,000 NanoCpus", async () => {
    const applied = await admin.apply(reservation('quarter', { cores: '250m' }));
    expect(applied.status).toBe(201);
    const obj = await running(admin, 'quarter');
    expect(await nanoCpusOf(obj.metadata.uid)).toBe(250_000_000);
    expect(obj.status.resources.cores).toBe(0.25);
    expect(obj.status.cost).toEqual({ cents: 13, currency: 'USD', hours: 1 });
  });
});
