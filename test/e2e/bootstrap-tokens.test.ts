// Bootstrap tokens through the real CLI and real processes: an admin makes, lists and revokes
// them; an agent with an expired or revoked token is refused, both sides say why, and the agent
// backs off instead of hammering the controller.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJoinToken } from '@berth/proto';
import { runCli } from '../support/cli.ts';
import { removeDir, startAgent, startController, uniqueName, type ControllerProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';

let controller: ControllerProcess;
const berth = (args: string[]) => runCli(args, { env: { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') } });
const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

beforeAll(async () => {
  controller = await startController({ nat: 'userspace' });
});

afterAll(async () => {
  await controller?.stop();
  if (controller) await removeDir(controller.dataDir);
});

async function listed(id: string): Promise<string> {
  const list = await berth(['token', 'list']);
  expect(list.code, list.stderr).toBe(0);
  return list.stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? '';
}

/** Starts an agent with `token`, waits for `refusals` refusals, and returns both sides' logs. */
async function refusedAgent(token: string, refusals: number) {
  const node = uniqueName('boot');
  const agent = startAgent({ controller: controller.grpcAddress, joinToken: token, nodeName: node });
  try {
    const started = Date.now();
    await waitFor(() => count(agent.log, /controller refused this agent/) >= refusals, { timeoutMs: 30_000, what: `${refusals} refusals` });
    return { agentLog: agent.log, elapsedMs: Date.now() - started, node, running: agent.child.exitCode === null };
  } finally {
    await agent.stop('SIGKILL');
  }
}

describe('bootstrap tokens', () => {
  it('token create prints one join token for this controller, list shows it without its secret, revoke marks it', async () => {
    const made = await berth(['token', 'create', '--ttl', '2h', '--description', 'rack 4']);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    const parsed = parseJoinToken(token)!;
    expect(parsed.fingerprint).toBe(parseJoinToken(controller.joinToken)!.fingerprint);
    const [id, secret] = parsed.secret.split('.');
    expect(made.stderr).toMatch(new RegExp(`bootstrap-token/${id} created, expires `));

    const row = await listed(id);
    expect(row).toMatch(/\s(119m|2h)\s/);
    expect(row).toContain('rack 4');
    const list = await berth(['token', 'list']);
    expect(list.stdout).not.toContain(secret);
    expect(list.stdout).toMatch(/^ID\s+TTL\s+EXPIRES\s+LAST USED\s+DESCRIPTION/);

    const revoked = await berth(['token', 'revoke', id]);
    expect([revoked.code, revoked.stdout]).toEqual([0, `bootstrap-token/${id} revoked\n`]);
    expect(await listed(id)).toMatch(new RegExp(`^${id}\\s+revoked`));
  });

  it('refuses a bad --ttl, a bad description, an unknown or malformed id with one clear line, creating nothing', async () => {
    const before = (await berth(['token', 'list'])).stdout;
    for (const [args, code, message] of [
      [['token', 'create', '--ttl', 'soon'], 2, /^error: ttl: must be a duration such as 30m, 24h or 7d, at most 365d, got "soon" \(field: ttl\)$/],
      [['token', 'create', '--ttl', '-5m'], 2, /^error: ttl: must be a duration/],
      [['token', 'create', '--ttl', '400d'], 2, /at most 365d/],
      [['token', 'create', '--description', 'two\nlines'], 2, /^error: description: must be one line of text/],
      [['token', 'revoke', 'zzzzzz'], 4, /^error: bootstrap token "zzzzzz" not found$/],
      [['token', 'revoke', 'NOT-AN-ID'], 2, /^error: id: a bootstrap token id is 6 characters of a-z 0-9/],
      [['node', 'revoke', 'no-such-node'], 4, /^error: node "no-such-node" not found$/],
    ] as const) {
      const r = await berth([...args]);
      expect([r.code, r.stdout], args.join(' ')).toEqual([code, '']);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    }
    expect((await berth(['token', 'list'])).stdout).toBe(before);
  });

  it('a customer can neither list, create nor revoke bootstrap tokens, nor revoke a node', async () => {
    const password = 'pass-word-123';
    const signup = await controller.fetch(`${controller.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: uniqueName('cust').replace('-', '_'), email: 'c@example.com', password }),
    });
    const { token } = (await signup.json()) as { token: string };
    for (const [method, url] of [
      ['GET', 'bootstrap-tokens'],
      ['POST', 'bootstrap-tokens'],
      ['DELETE', 'bootstrap-tokens/abcdef'],
      ['POST', 'nodes/any/revoke'],
    ] as const) {
      const res = await controller.fetch(`${controller.url}/api/v1/${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(res.status, `${method} ${url}`).toBe(403);
    }
  });

  it('an agent with a revoked token is refused, both sides log that it was revoked, and it backs off', async () => {
    const made = await berth(['token', 'create', '--description', 'to revoke']);
    const token = made.stdout.trim();
    await berth(['token', 'revoke', parseJoinToken(token)!.secret.split('.')[0]]);
    const seen = await refusedAgent(token, 5);
    expect(seen.running).toBe(true);
    expect(seen.agentLog).toContain('join token revoked');
    expect(seen.agentLog).not.toContain(parseJoinToken(token)!.secret);
    // Five tries spaced by jittered exponential backoff (expected ~3 s); a hot loop takes ~0.
    expect(seen.elapsedMs).toBeGreaterThan(300);
    expect(controller.log).toMatch(/agent refused: revoked join token/);
    expect(controller.log).not.toContain(parseJoinToken(token)!.secret);
    expect((await controller.api.get('nodes', seen.node)).status).toBe(404);
  });

  it('an agent with an expired token is refused and both sides log that it expired', async () => {
    const made = await berth(['token', 'create', '--ttl', '1s', '--description', 'short']);
    const token = made.stdout.trim();
    const id = parseJoinToken(token)!.secret.split('.')[0];
    await waitFor(async () => /^\S+\s+expired/.test(await listed(id)), { timeoutMs: 10_000, what: 'token listed as expired' });
    const seen = await refusedAgent(token, 1);
    expect(seen.agentLog).toContain('join token expired');
    expect(controller.log).toMatch(/agent refused: expired join token/);
    expect((await controller.api.get('nodes', seen.node)).status).toBe(404);
  });

  it('the token in DATA_DIR/join-token is a bootstrap token listed with its start-up description', async () => {
    const id = parseJoinToken(controller.joinToken)!.secret.split('.')[0];
    expect(await listed(id)).toContain('written to DATA_DIR/join-token at start-up');
  });
});
