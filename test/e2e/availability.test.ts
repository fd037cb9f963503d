// Availability and counter-offers end to end: real controller and agent processes, the real
// `berth` CLI. A customer's apply that does not fit is refused with 409 and three counter-offers,
// the CLI prints them as commands, and running the one printed for a later start admits it;
// `berth availability` offers the same start; no answer to the customer names the node.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { removeDir } from '../support/processes.ts';
import { startSingleHost, type SingleHost } from '../support/single-host.ts';

const H = 3_600_000;
let host: SingleHost;
let tmp: string;
let alice: ApiClient;
let nodeCores: number;
let blockStart: number;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-avail-'));
  host = await startSingleHost('avail');
  const { controller } = host;
  nodeCores = (await controller.api.get('nodes', host.node)).body.spec.cores;
  expect((await controller.api.apply(webImage('big', { resources: { cores: 1, memory: '64Mi', maxCores: nodeCores, maxMemory: '256Mi' } }))).status).toBe(201);
  const signup = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
    username: 'alice',
    email: 'alice@example.com',
    password: 'correct-horse-battery-9',
  });
  expect(signup.status).toBe(201);
  alice = new ApiClient(controller.url, signup.body.token, controller.ca);
});

afterAll(async () => {
  await host?.stop();
  if (tmp) await removeDir(tmp);
});

describe('counter-offers', () => {
  it('refuses with 409 carrying three counter-offers, and the printed later-start command is admitted', async () => {
    const { controller } = host;
    // The admin holds all cores but one from 2h to 4h from now (the machine has at least 2).
    expect(nodeCores).toBeGreaterThanOrEqual(2);
    blockStart = Math.ceil((Date.now() + 2 * H) / 60_000) * 60_000;
    const block = reservation('block', { image: 'big', cores: nodeCores - 1, duration: '2h', start: new Date(blockStart).toISOString() });
    expect((await controller.api.apply(block)).status).toBe(201);

    // Alice wants all cores from 1h: it fits for 1h, or from 4h, or with one core.
    const want = reservation('want', { image: 'big', cores: nodeCores, duration: '2h', start: new Date(blockStart - H).toISOString() });
    const api = await alice.apply(want);
    expect(api.status).toBe(409);
    expect(JSON.stringify(api.body)).not.toContain(host.node);
    expect(api.body.error.details.counterOffers).toEqual({
      earliestStart: { start: new Date(blockStart + 2 * H).toISOString(), end: new Date(blockStart + 4 * H).toISOString() },
      longestDuration: { duration: '1h', end: new Date(blockStart).toISOString() },
      largestSize: { cores: 1, memory: '64Mi' },
    });

    const file = path.join(tmp, 'want.yaml');
    await writeFile(file, JSON.stringify(want));
    const refused = await runCli(['apply', '-f', file], { env: controller.cliEnv(alice.token) });
    expect(refused.code).toBe(6);
    expect(refused.stderr).not.toContain(host.node);
    const later = refused.stderr.split('\n').find((l) => l.includes('start later'));
    expect(later).toContain(`berth apply -f ${file} --start ${new Date(blockStart + 2 * H).toISOString()}`);
    const command = later!.slice(later!.indexOf('berth apply')).split(' ').slice(1);
    const taken = await runCli(command, { env: controller.cliEnv(alice.token) });
    expect(taken, taken.stderr).toMatchObject({ code: 0, stdout: 'reservation/want created\n' });
    expect((await alice.get('reservations', 'want')).body.spec.start).toBe(new Date(blockStart + 2 * H).toISOString());
  });

  it('berth availability offers the windows around what is held, without node names for a customer', async () => {
    const { controller } = host;
    const from = new Date(blockStart - H).toISOString();
    const until = new Date(Date.parse(from) + 12 * H).toISOString();
    const res = await runCli(['availability', 'big', '--duration', '1h', '--cores', String(nodeCores), '--from', from, '--until', until, '-o', 'json'], {
      env: controller.cliEnv(alice.token),
    });
    expect(res.code, res.stderr).toBe(0);
    const view = JSON.parse(res.stdout);
    expect(JSON.stringify(view)).not.toContain(host.node);
    // Held: the block on [2h, 4h) and alice's want on [4h, 6h) from the first test: all cores
    // are free for 1h from 1h (until the block), then from 6h on.
    const starts = view.offers.map((o: { start: string }) => o.start);
    expect(starts).toEqual([from, new Date(blockStart + 4 * H).toISOString()]);
    expect(view.offers[0].latestStart).toBe(from);
    const table = await runCli(['availability', 'big', '--duration', '1h'], { env: controller.cliEnv(controller.api.token) });
    expect(table.stdout.split('\n')[0]).toMatch(/^START +END +LATEST START +CORES +MEMORY +NODES$/);
    expect(table.stdout).toContain(host.node);
  });
});
