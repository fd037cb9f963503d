// In-process runs of the program with a fake fetch: quick checks of command behaviour (cli.test.ts
// runs it over real HTTP against a canned server; test/e2e/cli.test.ts runs the executable).
import { describe, expect, it } from 'vitest';
import { fakeDeps as fakeCliDeps, type FakeHandler } from './fake-deps.testkit.ts';
import { main } from './main.ts';

// Calls record host and query too: some tests point the CLI at another server.
const fakeDeps = (handler: FakeHandler) =>
  fakeCliDeps(
    handler,
    (m, u) => `${m} ${u.host}${u.pathname}${u.search}`,
    (u) => u.pathname + u.search,
  );

const object = (name: string) => ({ apiVersion: 'berth/v1', kind: 'Reservation', metadata: { name }, spec: {}, status: {} });

describe('main', () => {
  it('deletes several names, reporting each failure and exiting with the first failure code', async () => {
    const { deps, out } = fakeDeps((_m, path) =>
      path.endsWith('/b')
        ? { status: 404, body: { error: { code: 'NotFound', message: 'reservation "b" not found' } } }
        : { status: 200, body: object(path.split('/').pop()!) },
    );
    expect(await main(['delete', 'res', 'a', 'b', 'c'], deps)).toBe(4);
    expect(out.stdout).toBe('reservation/a deleted\nreservation/c deleted\n');
    expect(out.stderr).toBe('error: reservation "b" not found\n');
  });

  it('refuses to get, describe or delete an event by name, without calling the server', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 500, body: {} }));
    for (const verb of ['get', 'describe', 'delete']) expect(await main([verb, 'ev', 'x'], deps)).toBe(2);
    expect(out.stderr.trimEnd().split('\n')).toEqual([
      'error: events can only be listed; "get" by name is not supported',
      'error: events can only be listed; "describe" by name is not supported',
      'error: events can only be listed; "delete" by name is not supported',
    ]);
    expect(out.calls).toEqual([]);
  });

  it('prints names only with -o name and honours --server after the command', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 200, body: { apiVersion: 'berth/v1', kind: 'ReservationList', items: [object('a'), object('b')] } }));
    expect(await main(['get', 'reservations', '-o', 'name', '--server', 'https://other.test:1'], deps)).toBe(0);
    expect(out.stdout).toBe('reservation/a\nreservation/b\n');
    expect(out.calls).toEqual(['GET other.test:1/api/v1/reservations']);
  });

  it('requires -f for apply', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 500, body: {} }));
    expect(await main(['apply'], deps)).toBe(2);
    expect(out.stderr).toBe('error: apply needs at least one -f FILE|DIR|- (field: filename)\n');
  });

  it('prints help on --help with exit 0', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 500, body: {} }));
    expect(await main(['--help'], deps)).toBe(0);
    expect(out.stdout).toContain('Usage: berth');
  });
});
