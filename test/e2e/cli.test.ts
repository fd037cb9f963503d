// The real `berth` CLI, run as a subprocess against real controller and agent processes, with the
// config file the controller writes (BERTH_CONFIG) or with BERTH_SERVER/BERTH_TOKEN alone.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, type CliResult } from '../support/cli.ts';
import { currentContext } from '../support/client-config.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { freePort, removeDir, type ControllerProcess } from '../support/processes.ts';
import { startSingleHost, waitForPhase as phaseOf, type SingleHost } from '../support/single-host.ts';

let host: SingleHost;
let controller: ControllerProcess;
let node: string;
let tmp: string;
let configFile: string;

// Quarter-core reservations, so every one this file creates fits a 2-core machine at once.
const IMAGE = 'cli-web';
const cliImage = (name: string) => webImage(name, { resources: { cores: 0.25, memory: '32Mi', maxCores: 1, maxMemory: '128Mi' } });
const cliReservation = (name: string, image = IMAGE) => reservation(name, { image });

/** The CLI configured the way the controller set it up: BERTH_CONFIG and nothing else. */
const berth = (args: string[], opts: { stdin?: string } = {}) => runCli(args, { env: { BERTH_CONFIG: configFile }, ...opts });

/** Without BERTH_CONFIG and with an empty HOME, so only the given variables configure the CLI. */
const berthWithEnv = (args: string[], env: Record<string, string>) =>
  runCli(args, { env: { HOME: path.join(tmp, 'home'), XDG_CONFIG_HOME: path.join(tmp, 'home', '.config'), ...env } });

const yamlDoc = (value: unknown) => JSON.stringify(value, null, 2); // JSON is YAML, and exact
const lines = (text: string) => text.split('\n').filter(Boolean);

function expectOneErrorLine(result: CliResult): string {
  const errLines = lines(result.stderr);
  expect(errLines, result.stderr).toHaveLength(1);
  expect(errLines[0]).toMatch(/^error: /);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return errLines[0];
}

const waitForPhase = (name: string, phase: string) => phaseOf(controller, name, phase);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-'));
  await mkdir(path.join(tmp, 'home'));
  host = await startSingleHost('cli');
  controller = host.controller;
  node = host.node;
  configFile = path.join(controller.dataDir, 'berth.config');
  expect((await controller.api.apply(cliImage(IMAGE))).status).toBe(201);
  expect((await controller.api.apply(cliReservation('cli-read'))).status).toBe(201);
  await waitForPhase('cli-read', 'Running');
});

afterAll(async () => {
  await host?.stop();
  if (tmp) await removeDir(tmp);
});

describe('berth apply', () => {
  it('applies every document of a multi-document file, in order, and re-applying it changes nothing', async () => {
    const file = path.join(tmp, 'multi.yaml');
    await writeFile(file, [cliImage('cli-extra'), cliReservation('cli-multi', 'cli-extra')].map(yamlDoc).join('\n---\n'));

    const first = await berth(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('image/cli-extra created\nreservation/cli-multi created\n');
    expect((await controller.api.get('images', 'cli-extra')).status).toBe(200);
    expect((await controller.api.get('reservations', 'cli-multi')).body.spec).toMatchObject({ image: 'cli-extra' });

    const again = await berth(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('image/cli-extra unchanged\nreservation/cli-multi unchanged\n');
  });

  it('applies the manifest files of a directory in name order and ignores other files', async () => {
    const dir = path.join(tmp, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'b.yml'), yamlDoc(cliReservation('cli-dir-b')));
    await writeFile(path.join(dir, 'a.yaml'), yamlDoc(cliReservation('cli-dir-a')));
    await writeFile(path.join(dir, 'notes.txt'), 'not a manifest: [');

    const result = await berth(['apply', '-f', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('reservation/cli-dir-a created\nreservation/cli-dir-b created\n');
    for (const name of ['cli-dir-a', 'cli-dir-b']) expect((await controller.api.get('reservations', name)).status).toBe(200);
  });

  it('applies a manifest read from stdin with -f -', async () => {
    const result = await berth(['apply', '-f', '-'], { stdin: yamlDoc(cliReservation('cli-stdin')) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('reservation/cli-stdin created\n');
    expect((await controller.api.get('reservations', 'cli-stdin')).body.metadata.name).toBe('cli-stdin');
  });

  it('refuses a manifest with an unknown field with exit 2 and one error line naming the file and field, storing nothing', async () => {
    const file = path.join(tmp, 'unknown-field.yaml');
    await writeFile(file, yamlDoc(reservation('cli-bad', { image: IMAGE, replicas: 3 })));
    const result = await berth(['apply', '-f', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const line = expectOneErrorLine(result);
    expect(line).toContain(file);
    expect(line).toContain('spec.replicas');
    expect((await controller.api.get('reservations', 'cli-bad')).status).toBe(404);
  });

  it('names every problem of a manifest in its one error line, the misspelled field first', async () => {
    const file = path.join(tmp, 'typo.yaml');
    const bad = reservation('cli-typo', { image: IMAGE }) as { spec: Record<string, unknown> };
    delete bad.spec.duration;
    Object.assign(bad.spec, { duraton: '1h', cores: 0 });
    await writeFile(file, yamlDoc(bad));
    const result = await berth(['apply', '-f', file]);
    expect(result.code).toBe(2);
    const line = expectOneErrorLine(result);
    expect(line).toContain(file);
    expect(line).toMatch(/3 problems: unknown field "spec\.duraton" \(did you mean "duration"\?\); spec\.duration: is required; spec\.cores: /);
    expect((await controller.api.get('reservations', 'cli-typo')).status).toBe(404);
  });

  it('refuses a file that is not valid YAML with exit 2 and one error line naming the file and line', async () => {
    const file = path.join(tmp, 'broken.yaml');
    await writeFile(file, 'apiVersion: berth/v1\nkind: Reservation\nmetadata: { name: cli-broken\nspec: [\n');
    const result = await berth(['apply', '-f', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const line = expectOneErrorLine(result);
    expect(line).toContain(file);
    expect(line).toMatch(/line \d+/);
    expect((await controller.api.get('reservations', 'cli-broken')).status).toBe(404);
  });
});

describe('berth get, describe and delete', () => {
  it('lists reservations as a table with name and phase', async () => {
    const result = await berth(['get', 'reservations']);
    expect(result.code).toBe(0);
    const [header, ...rows] = lines(result.stdout);
    expect(header.split(/\s+/)).toEqual(expect.arrayContaining(['NAME', 'IMAGE', 'PHASE', 'NODE']));
    const row = rows.find((r) => r.startsWith('cli-read '));
    expect(row, result.stdout).toBeDefined();
    expect(row!.split(/\s+/)).toEqual(expect.arrayContaining(['cli-read', IMAGE, 'Running', node]));
  });

  it('prints one reservation as the full API object with -o json', async () => {
    const result = await berth(['get', 'reservation', 'cli-read', '-o', 'json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    const { body: fromApi } = await controller.api.get('reservations', 'cli-read');
    expect(printed).toMatchObject({ apiVersion: 'berth/v1', kind: 'Reservation', metadata: fromApi.metadata, spec: fromApi.spec });
    expect(printed.status).toMatchObject({ phase: 'Running', node, endpoints: fromApi.status.endpoints, conditions: expect.any(Array) });
  });

  it('prints the reservation list as { items: [...] } with -o json', async () => {
    const result = await berth(['get', 'reservations', '-o', 'json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.kind).toBe('ReservationList');
    expect(Array.isArray(printed.items)).toBe(true);
    const { body: fromApi } = await controller.api.list('reservations');
    expect(printed.items.map((r: { metadata: { uid: string } }) => r.metadata.uid)).toEqual(
      fromApi.items.map((r: { metadata: { uid: string } }) => r.metadata.uid),
    );
    expect(printed.items.find((r: { metadata: { name: string } }) => r.metadata.name === 'cli-read')).toMatchObject({
      spec: { image: IMAGE },
      status: { phase: 'Running' },
    });
  });

  it('prints YAML that parses to the same object with -o yaml', async () => {
    const result = await berth(['get', 'reservation', 'cli-read', '-o', 'yaml']);
    expect(result.code).toBe(0);
    const printed = parseYaml(result.stdout);
    const { body: fromApi } = await controller.api.get('reservations', 'cli-read');
    expect(printed).toMatchObject({
      apiVersion: 'berth/v1',
      kind: 'Reservation',
      metadata: fromApi.metadata,
      spec: fromApi.spec,
      status: { phase: 'Running' },
    });
  });

  it('describes a reservation with its conditions and events', async () => {
    const result = await berth(['describe', 'reservation', 'cli-read']);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^Name:\s+cli-read$/m);
    const conditions = out.slice(out.indexOf('\nConditions:'), out.indexOf('\nEvents:'));
    expect(conditions).toMatch(/^\s+Scheduled\s+True\s+Admitted\b/m);
    const events = out.slice(out.indexOf('\nEvents:'));
    expect(events).toContain(`admitted on node ${node}`);
  });

  it('deletes a reservation, printing reservation/NAME deleted with exit 0', async () => {
    expect((await controller.api.apply(cliReservation('cli-gone'))).status).toBe(201);
    const result = await berth(['delete', 'reservation', 'cli-gone']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('reservation/cli-gone deleted\n');
    expect((await controller.api.get('reservations', 'cli-gone')).status).toBe(404);
  });

  for (const verb of ['get', 'describe', 'delete']) {
    it(`${verb} of a reservation that does not exist exits 4 with one error line`, async () => {
      const result = await berth([verb, 'reservation', 'cli-nope']);
      expect(result.code).toBe(4);
      expect(result.stdout).toBe('');
      expect(expectOneErrorLine(result)).toBe('error: reservation "cli-nope" not found');
    });
  }
});

describe('berth configuration', () => {
  it('works with BERTH_SERVER and BERTH_TOKEN and no config file', async () => {
    const { token } = (await currentContext(configFile))!;
    const result = await berthWithEnv(['get', 'reservation', 'cli-read', '-o', 'json'], {
      BERTH_SERVER: controller.url,
      BERTH_TOKEN: token,
      BERTH_CERTIFICATE_AUTHORITY: controller.caFile,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).metadata.name).toBe('cli-read');
  });

  it('sends the BERTH_TOKEN it is given: a wrong one exits 3 as unauthenticated', async () => {
    const result = await berthWithEnv(['get', 'reservations'], {
      BERTH_SERVER: controller.url,
      BERTH_TOKEN: 'berth_wrong',
      BERTH_CERTIFICATE_AUTHORITY: controller.caFile,
    });
    expect(result.code).toBe(3);
    expect(expectOneErrorLine(result)).toContain('invalid or expired token');
  });

  it('exits 8 with one clear line when no server is listening', async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const result = await berthWithEnv(['get', 'reservations'], { BERTH_SERVER: server, BERTH_TOKEN: 'berth_any' });
    expect(result.code).toBe(8);
    expect(result.stdout).toBe('');
    expect(expectOneErrorLine(result)).toBe(`error: cannot reach the Berth server at ${server}: connect ECONNREFUSED ${server.slice('http://'.length)}`);
  });
});
