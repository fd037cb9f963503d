import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeDeps as fakeCliDeps, type FakeHandler } from '../fake-deps.testkit.ts';
import { main } from '../main.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-cli-avail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeDeps(answer: FakeHandler) {
  const sent: unknown[] = [];
  const { deps, out } = fakeCliDeps(answer, (m, u) => `${m} ${u.pathname}${u.search}`);
  const fetch = deps.fetch;
  deps.fetch = (async (input, init) => {
    if (init?.body) sent.push(JSON.parse(String(init.body)));
    return fetch(input, init);
  }) as typeof deps.fetch;
  return { deps, out, sent };
}

const view = (offers: unknown[]) => ({
  apiVersion: 'berth/v1',
  kind: 'Availability',
  request: { image: 'web', duration: '2h', profile: 'ephemeral', cores: 1, memory: '1024Mi' },
  range: { from: '2030-01-01T00:00:00.000Z', until: '2030-01-08T00:00:00.000Z' },
  offers,
});
const offer = { start: '2030-01-01T03:00:00.000Z', end: '2030-01-01T05:00:00.000Z', latestStart: '2030-01-02T00:00:00.000Z', cores: 1, memory: '1024Mi' };

describe('berth availability', () => {
  it('asks with the flags as query parameters and prints the windows and how to take the first', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 200, body: view([offer]) }));
    expect(await main(['availability', 'web', '--duration', '2h', '--memory', '1Gi', '--limit', '3'], deps)).toBe(0);
    expect(out.calls).toEqual(['GET /api/v1/availability?image=web&duration=2h&memory=1Gi&limit=3']);
    expect(out.stdout).toBe(
      'START                  END                    LATEST START           CORES   MEMORY\n' +
        '2030-01-01T03:00:00Z   2030-01-01T05:00:00Z   2030-01-02T00:00:00Z   1       1024Mi\n' +
        'fits web for 2h (1 cores, 1024Mi) at any start from START to LATEST START; e.g. berth apply -f FILE --start 2030-01-01T03:00:00.000Z --duration 2h\n',
    );
  });

  it('shows admins the nodes, and says when nothing fits', async () => {
    const admin = fakeDeps(() => ({ status: 200, body: view([{ ...offer, nodeCount: 3, nodes: ['cn1', 'cn2'] }]) }));
    expect(await main(['availability', 'web', '--duration', '2h'], admin.deps)).toBe(0);
    expect(admin.out.stdout.split('\n')[1]).toMatch(/ cn1,cn2 \(\+1\)$/);
    const none = fakeDeps(() => ({ status: 200, body: view([]) }));
    expect(await main(['availability', 'web', '--duration', '2h'], none.deps)).toBe(0);
    expect(none.out.stdout).toBe('no window for web for 2h (1 cores, 1024Mi) starts between 2030-01-01T00:00:00Z and 2030-01-08T00:00:00Z\n');
  });

  it("reports the server's 400 naming the field, with exit 2", async () => {
    const { deps, out } = fakeDeps(() => ({
      status: 400,
      body: { error: { code: 'Invalid', message: 'limit: must be a whole number from 1 to 20', field: 'limit' } },
    }));
    expect(await main(['availability', 'web', '--duration', '2h', '--limit', '99'], deps)).toBe(2);
    expect(out.stderr).toBe('error: limit: must be a whole number from 1 to 20 (field: limit)\n');
  });
});

describe('berth apply and counter-offers', () => {
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, 'apiVersion: berth/v1\nkind: Reservation\nmetadata: { name: demo }\nspec: { image: web, duration: 2h, memory: 2Gi }\n');
  const refusal = {
    status: 409,
    body: {
      error: {
        code: 'NoResources',
        message:
          'no resources available for 1 core and 2048Mi from 2030-01-01T00:00:00.000Z to 2030-01-01T02:00:00.000Z: no node has room (1 lacks memory in the window)',
        details: {
          counterOffers: {
            earliestStart: { start: '2030-01-01T04:00:00.000Z', end: '2030-01-01T06:00:00.000Z' },
            longestDuration: { duration: '1h', end: '2030-01-01T01:00:00.000Z' },
            largestSize: { cores: 1, memory: '1Gi' },
          },
        },
      },
    },
  };

  it('prints each counter-offer as the same apply with the flags that make it fit, exit 6', async () => {
    const { deps, out } = fakeDeps(() => refusal);
    expect(await main(['apply', '-f', file, '--duration', '2h'], deps)).toBe(6);
    expect(out.stderr.split('\n')).toEqual([
      `error: reservation/demo: ${refusal.body.error.message}`,
      '  it fits with one change (nothing is held for you; run one to apply):',
      `    start later (ends 2030-01-01T06:00:00.000Z):  berth apply -f ${file} --duration 2h --start 2030-01-01T04:00:00.000Z`,
      `    shorter (ends 2030-01-01T01:00:00.000Z):      berth apply -f ${file} --duration 1h`,
      `    smaller:                                      berth apply -f ${file} --duration 2h --cores 1 --memory 1Gi`,
      '',
    ]);
  });

  it('applies the flags to the Reservation it sends', async () => {
    const { deps, sent } = fakeDeps(() => ({ status: 201, body: { action: 'created', object: { kind: 'Reservation', metadata: { name: 'demo' } } } }));
    expect(await main(['apply', '-f', file, '--start', '2030-01-01T04:00:00.000Z', '--cores', '0.5', '--memory', '1Gi'], deps)).toBe(0);
    expect(sent).toEqual([
      {
        apiVersion: 'berth/v1',
        kind: 'Reservation',
        metadata: { name: 'demo' },
        spec: { image: 'web', duration: '2h', memory: '1Gi', start: '2030-01-01T04:00:00.000Z', cores: 0.5 },
      },
    ]);
  });

  it('prints only the flags when the command would not concern one reservation alone', async () => {
    const { deps, out } = fakeDeps(() => refusal);
    deps.readStdin = async () => 'apiVersion: berth/v1\nkind: Reservation\nmetadata: { name: demo }\nspec: { image: web, duration: 2h }\n';
    expect(await main(['apply', '-f', '-'], deps)).toBe(6);
    expect(out.stderr).toContain('    start later (ends 2030-01-01T06:00:00.000Z):  --start 2030-01-01T04:00:00.000Z\n');
  });
});
