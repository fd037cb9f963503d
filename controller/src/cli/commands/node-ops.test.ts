import { describe, expect, it } from 'vitest';
import { fakeDeps as fakeCliDeps, type FakeHandler } from '../fake-deps.testkit.ts';
import { main } from '../main.ts';

const fakeDeps = (answer: FakeHandler) => fakeCliDeps(answer, (m, u) => `${m} ${u.pathname}`);

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
    const body = {
      node: {},
      drain: { rescheduled: [{ reservation: 'web', node: 'cn2' }], failed: [], remaining: [{ reservation: 'big', reason: 'no other node can take it' }] },
    };
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
