import { describe, expect, it } from 'vitest';
import type { CliDeps } from '../deps.ts';
import { main } from '../main.ts';

function fakeDeps(answer: (method: string, path: string) => { status: number; body: unknown }) {
  const out = { stdout: '', stderr: '', calls: [] as string[] };
  const deps: CliDeps = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: { BERTH_SERVER: 'http://berth.test:7070', BERTH_CONFIG: '', HOME: '/nonexistent-home' },
    readStdin: async () => '',
    now: () => new Date('2026-01-01T00:00:00Z'),
    fetch: (async (input: URL | RequestInfo, init?: RequestInit) => {
      const url = new URL(String(input));
      out.calls.push(`${init?.method} ${url.pathname}`);
      const { status, body } = answer(init?.method ?? 'GET', url.pathname);
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  };
  return { deps, out };
}

describe('berth cordon / uncordon / drain', () => {
  it('posts to the node route and confirms', async () => {
    for (const verb of ['cordon', 'uncordon']) {
      const { deps, out } = fakeDeps(() => ({ status: 200, body: { kind: 'Node' } }));
      expect(await main([verb, 'cn1'], deps)).toBe(0);
      expect(out.calls).toEqual([`POST /api/v1/nodes/cn1/${verb}`]);
      expect(out.stdout).toBe(`node/cn1 ${verb}ed\n`);
    }
  });

  it('drain lists what moved and what stayed', async () => {
    const body = { node: {}, drain: { rescheduled: [{ reservation: 'web', node: 'cn2' }], failed: [], remaining: [{ reservation: 'big', reason: 'no other node can take it' }] } };
    const { deps, out } = fakeDeps(() => ({ status: 200, body }));
    expect(await main(['drain', 'cn1'], deps)).toBe(0);
    expect(out.stdout).toBe('node/cn1 cordoned\nreservation/web moved to node cn2\nreservation/big stays: no other node can take it\nnode/cn1 drained\n');
  });

  it('reports a refusal for non-admins with the API message', async () => {
    const { deps, out } = fakeDeps(() => ({ status: 403, body: { error: { code: 'Forbidden', message: 'only admins can change nodes' } } }));
    expect(await main(['drain', 'cn1'], deps)).not.toBe(0);
    expect(out.stderr).toContain('only admins can change nodes');
  });
});
