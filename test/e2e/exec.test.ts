// berth exec through real processes: the CLI, the controller (HTTPS upgrade), the agent (gRPC
// stream) and a real container. Output, exit codes, stdin, a terminal driven through a real
// pseudo-terminal (util-linux `script`), resizes, tenancy, events, limits and a flood.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { runCli } from '../support/cli.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { removeNodeContainers } from '../support/host.ts';
import { BERTH_BIN, removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';

const run = promisify(execFile);
let controller: ControllerProcess;
let agent: AgentProcess;
let alice: { api: ApiClient; token: string };
let bob: { api: ApiClient; token: string };
const node = uniqueName('exec');
const IDLE_S = 8;
// Small, so the four reservations here fit a 2-core machine at once.
const small = (name: string, spec: Record<string, unknown> = {}) => reservation(name, { cores: '250m', ...spec });

async function customer(username: string) {
  const res = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
    username,
    email: `${username}@example.com`,
    password: `Pw-${Buffer.from(username).toString('hex')}`,
  });
  expect(res.status).toBe(201);
  return { api: new ApiClient(controller.url, res.body.token, controller.ca), token: res.body.token as string };
}

const cliAs = (token: string, args: string[], stdin?: string) => runCli(args, { env: controller.cliEnv(token), stdin });

async function running(client: ApiClient, name: string) {
  return waitFor(
    async () => {
      const { body } = await client.get('reservations', name);
      return body?.status?.phase === 'Running' ? body : undefined;
    },
    { timeoutMs: 30_000, what: `${name} Running` },
  );
}

beforeAll(async () => {
  controller = await startController({ nat: 'userspace', env: { BERTH_EXEC_IDLE_TIMEOUT: `${IDLE_S}s`, BERTH_HEARTBEAT_INTERVAL: '1s' } });
  agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node });
  await waitForNodeReady(controller, node, agent);
  expect((await controller.api.apply(webImage('web'))).status).toBe(201);
  alice = await customer('alice');
  bob = await customer('bob');
  expect((await alice.api.apply(small('box'))).status).toBe(201);
  await running(alice.api, 'box');
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  if (controller) await removeDir(controller.dataDir);
});

const cliEnv = (token: string) => ({ ...process.env, ...controller.cliEnv(token) }) as NodeJS.ProcessEnv;

/** Resident memory of a process, from /proc (kB). */
const rssKb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** The container's processes matching a pattern (busybox has no pgrep). */
const still = async (pattern: string) => (await cliAs(alice.token, ['exec', 'box', '--', 'sh', '-c', `ps | grep '${pattern}' || true`])).stdout.trim();
const agentExecLog = () =>
  `; agent: ${agent.log
    .split('\n')
    .filter((l) => l.includes('exec'))
    .slice(-8)
    .join('\n')}`;

const shellQuote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;

describe('berth exec', () => {
  it('prints the output of echo hi and exits 0', async () => {
    const r = await cliAs(alice.token, ['exec', 'box', '--', 'echo', 'hi']);
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' });
  });

  it("exits with the command's exit code, stdout and stderr apart", async () => {
    const r = await cliAs(alice.token, ['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes stdin with -i, a megabyte of it through the flow control', async () => {
    const r = await cliAs(alice.token, ['exec', '-i', 'box', '--', 'wc', '-c'], 'x'.repeat(1 << 20));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(String(1 << 20));
  });

  it('runs the command with the container confinement: no-new-privileges and the same capabilities as the container', async () => {
    const r = await cliAs(alice.token, ['exec', 'box', '--', 'sh', '-c', 'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; grep CapEff /proc/1/status']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('NoNewPrivs:\t1');
    const caps = lines.filter((l) => l.startsWith('CapEff'));
    expect(caps).toHaveLength(2);
    expect(caps[0]).toBe(caps[1]);
    // NET_RAW (bit 13) is one the container does not have; neither does the exec.
    expect((BigInt(`0x${caps[0].split('\t')[1]}`) >> 13n) & 1n).toBe(0n);
  });

  it('gives -it a terminal through a real pseudo-terminal, and follows its resizes', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal; it only takes a shell command line, built
    // here from fixed paths. The wrapper prints its own terminal and sets its size first.
    const cli = [process.execPath, BERTH_BIN, 'exec', '-it', 'box', '--', 'sh'].map(shellQuote).join(' ');
    const child = spawn('script', ['-qfec', `tty; stty rows 30 cols 100; exec ${cli}`, '/dev/null'], { env: { ...cliEnv(alice.token), TERM: 'xterm' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    try {
      const outer = await waitFor(() => /\/dev\/pts\/\d+/.exec(out)?.[0], { timeoutMs: 10_000, what: 'the outer terminal' });
      await waitFor(() => /# /.test(out), { timeoutMs: 20_000, what: `the shell prompt, got ${JSON.stringify(out)}` });
      child.stdin.write('echo A$(tty)Z\r');
      await waitFor(() => /A\/dev\/pts\/\d+Z/.test(out), { timeoutMs: 10_000, what: `tty output, got ${JSON.stringify(out)}` });
      child.stdin.write('stty size\r');
      await waitFor(() => /\b30 100\b/.test(out), { timeoutMs: 10_000, what: `the initial size, got ${JSON.stringify(out)}` });
      // Resizing the CLI's terminal sends it SIGWINCH, as a terminal window would.
      await run('stty', ['-F', outer, 'rows', '40', 'cols', '120']);
      await waitFor(
        () => {
          child.stdin.write('stty size\r');
          return /\b40 120\b/.test(out);
        },
        { timeoutMs: 10_000, intervalMs: 300, what: `the new size, got ${JSON.stringify(out)}` },
      );
      child.stdin.write('exit 7\r');
      expect(await exited).toBe(7);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("answers another customer's exec with 404, as for every other route, and runs nothing", async () => {
    const r = await cliAs(bob.token, ['exec', 'box', '--', 'touch', '/tmp/bob-was-here']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/reservation "box" not found/);
    expect((await cliAs(alice.token, ['exec', 'box', '--', 'ls', '/tmp/bob-was-here'])).code).not.toBe(0);
    // An admin may.
    expect(await cliAs(controller.api.token, ['exec', 'box', '--', 'echo', 'admin'])).toMatchObject({ code: 0, stdout: 'admin\n' });
  });

  it('refuses a reservation that is not Running, and bad input with the field named', async () => {
    expect((await alice.api.apply(small('later', { start: new Date(Date.now() + 3_600_000).toISOString() }))).status).toBe(201);
    const r = await cliAs(alice.token, ['exec', 'later', '--', 'echo', 'hi']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/exec needs it Running/);
    const long = await cliAs(alice.token, ['exec', 'box', '--timeout', '30d', '--', 'echo', 'hi']);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/timeout: 30d is over the limit of 1d/);
  });

  it('records who ran what, and how it ended, as events of the reservation', async () => {
    const { body } = await alice.api.request('GET', '/api/v1/events?kind=Reservation&name=box&limit=200');
    const messages = (body.items as { reason: string; message: string }[]).map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toContain('Exec: exec by alice: echo hi');
    expect(messages).toContain("Exec: exec by alice: sh -c 'echo out; echo err >&2; exit 3'");
    expect(messages).toContain('ExecEnded: exec by alice ended: exit code 3');
    expect(messages).toContain('Exec: exec by alice: sh (tty)');
    expect(messages).toContain('Exec: exec by admin: echo admin');
    expect(messages.some((m) => m.includes('exec by bob'))).toBe(false);
  });

  it('ends an exec at its time limit or when idle, says so, exits 124 and kills the process', async () => {
    const timed = await cliAs(alice.token, ['exec', 'box', '--timeout', '2s', '--', 'sleep', '300']);
    expect(timed.code).toBe(124);
    expect(timed.stderr).toMatch(/time limit of 2s/);
    const idle = await cliAs(alice.token, ['exec', 'box', '--', 'sleep', '301']);
    expect(idle.code).toBe(124);
    expect(idle.stderr).toMatch(new RegExp(`no input or output for ${IDLE_S}s`));
    await waitFor(async () => (await still('[s]leep 30[01]')) === '', { timeoutMs: 15_000, what: `the sleeps killed${agentExecLog()}` });
  }, 60_000);

  it("keeps heartbeats and another reservation's start flowing while one exec floods output", async () => {
    const startTime = async (name: string) => {
      const t0 = Date.now();
      expect((await alice.api.apply(small(name))).status).toBe(201);
      await running(alice.api, name);
      return Date.now() - t0;
    };
    const calm = await startTime('calm');
    const pid = controller.child.pid!;
    const rssBefore = await rssKb(pid);
    const flood = spawn(process.execPath, [BERTH_BIN, 'exec', 'box', '--', 'yes', 'y'.repeat(99)], { env: cliEnv(alice.token) });
    let bytes = 0;
    flood.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    try {
      await waitFor(() => bytes > 2 << 20, { timeoutMs: 30_000, what: 'the flood flowing' });
      const t0 = Date.now();
      const b0 = bytes;
      let maxAge = 0;
      const ages = setInterval(async () => {
        const m = await controller.fetch(`${controller.url}/metrics`).then((r) => r.text());
        const age = Number(new RegExp(`berth_node_heartbeat_age_seconds\\{node="${node}"\\} ([\\d.]+)`).exec(m)?.[1]);
        if (age > maxAge) maxAge = age;
      }, 250);
      const flooded = await startTime('flooded').finally(() => clearInterval(ages));
      const rate = ((bytes - b0) / ((Date.now() - t0) / 1000) / 1048576).toFixed(1);
      const rssAfter = await rssKb(pid);
      console.log(
        `exec flood: ${rate} MiB/s through the CLI; start of another reservation ${calm} ms calm, ${flooded} ms flooded; ` +
          `max heartbeat age ${maxAge.toFixed(2)} s; controller RSS ${rssBefore} -> ${rssAfter} kB`,
      );
      expect(flooded).toBeLessThan(Math.max(3 * calm, calm + 5_000));
      // Beats every second; the node is NotReady after 20 s without one.
      expect(maxAge).toBeLessThan(5);
      expect((await controller.api.get('nodes', node)).body.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
      expect(rssAfter - rssBefore).toBeLessThan(64 * 1024);
    } finally {
      flood.kill('SIGTERM');
    }
    // The client went away: the controller cancels and the agent kills the process.
    await waitFor(async () => (await still('[y]es yyy')) === '', { timeoutMs: 15_000, what: `yes killed${agentExecLog()}` });
  }, 90_000);
});
