// Monitoring through real processes: the reservations watch and container logs deliver changes
// as they happen, node metrics are recorded, and both /metrics endpoints are Prometheus text.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { BERTH_BIN, freePort, removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitFor } from '../support/wait.ts';
import { waitForNodeReady } from '../support/single-host.ts';

const run = promisify(execFile);
const TICKER = `berth-test/ticker:${Math.random().toString(36).slice(2, 8)}`;
let controller: ControllerProcess;
let agent: AgentProcess;
let agentMetricsPort: number;
const node = uniqueName('mon');

/** Reads a streamed response line by line as it arrives. */
function lineReader(res: Response) {
  const lines: string[] = [];
  let buf = '';
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += value;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter((l) => l.trim()));
    }
  })();
  return { lines, cancel: () => reader.cancel().catch(() => {}) };
}

/** Minimal Prometheus text-format check: every line is a comment, blank, or `name{labels} value`. */
function parsePrometheus(text: string): Map<string, Array<{ labels: Record<string, string>; value: number }>> {
  const out = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?(?:[0-9.e+-]+|[Nn][Aa][Nn]|\+Inf|-Inf))(?: \d+)?$/;
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text format: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    const list = out.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1], list);
  }
  return out;
}

beforeAll(async () => {
  // An image that prints a numbered line every 200 ms, derived from the locally built test image.
  const { stdout } = await run('docker', ['create', 'berth-test/sleeper:1']);
  const tmp = stdout.trim();
  await run('docker', ['commit', '--change', 'CMD ["/bin/sh","-c","i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]', tmp, TICKER]);
  await run('docker', ['rm', '-f', tmp]);
  controller = await startController({ nat: 'userspace', env: { BERTH_METRICS_SAMPLE_MS: '500' } });
  agentMetricsPort = await freePort();
  await launchAgent();
  expect((await controller.api.apply(webImage())).status).toBe(201);
  expect((await controller.api.apply(webImage('ticker', { ref: TICKER, ports: [] }))).status).toBe(201);
});

async function launchAgent(): Promise<void> {
  agent = startAgent({
    controller: controller.grpcAddress,
    joinToken: controller.joinToken,
    nodeName: node,
    env: { BERTH_METRICS_PORT: String(agentMetricsPort) },
  });
  await waitForNodeReady(controller, node, agent);
  // A relaunch finds the node still Ready (within the grace of the killed agent's last beat), so
  // the new agent's own listener is what says it is up.
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${agentMetricsPort}/healthz`).then(
        (r) => r.ok || undefined,
        () => undefined,
      ),
    {
      timeoutMs: 30_000,
      what: 'the agent metrics listener',
    },
  );
}

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  await run('docker', ['rmi', '-f', TICKER]).catch(() => undefined);
  if (controller) await removeDir(controller.dataDir);
});

const auth = () => ({ authorization: `Bearer ${controller.api.token}` });

describe('watching reservations', () => {
  it('streams ADDED, then each phase change, then DELETED as they happen', async () => {
    const res = await controller.fetch(`${controller.url}/api/v1/reservations?watch=1`, { headers: auth() });
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const watch = lineReader(res);
    try {
      const events = () =>
        watch.lines
          .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string }; status: { phase: string } } })
          .filter((e) => e.object.metadata.name === 'watched');
      expect((await controller.api.apply(reservation('watched'))).status).toBe(201);
      await waitFor(() => events().some((e) => e.type === 'ADDED'), { timeoutMs: 5000, what: 'ADDED event' });
      await waitFor(() => events().some((e) => e.type === 'MODIFIED' && e.object.status.phase === 'Running'), {
        timeoutMs: 15_000,
        what: 'MODIFIED Running event',
      });
      await controller.api.delete('reservations', 'watched');
      await waitFor(() => events().some((e) => e.type === 'DELETED'), { timeoutMs: 5000, what: 'DELETED event' });
      expect(events()[0].type).toBe('ADDED');
    } finally {
      watch.cancel();
    }
  });
});

describe('container logs', () => {
  it('returns the tail, and with follow streams new lines as the container writes them', async () => {
    expect((await controller.api.apply(reservation('talker', { image: 'ticker' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'talker')).body?.status?.phase === 'Running', {
      timeoutMs: 30_000,
      what: 'talker Running',
    });
    await waitFor(
      async () => {
        const r = await controller.fetch(`${controller.url}/api/v1/reservations/talker/logs?tail=3`, { headers: auth() });
        const text = await r.text();
        return r.ok && text.trim().split('\n').length === 3 && /^tick \d+$/.test(text.trim().split('\n')[2]);
      },
      { timeoutMs: 10_000, what: 'three tail lines' },
    );

    const res = await controller.fetch(`${controller.url}/api/v1/reservations/talker/logs?follow=1&tail=1`, { headers: auth() });
    expect(res.status).toBe(200);
    const follow = lineReader(res);
    try {
      await waitFor(() => follow.lines.length >= 1, { timeoutMs: 5000, what: 'first line' });
      const first = Number(follow.lines[0].split(' ')[1]);
      // Lines written after the request arrive on the open stream.
      await waitFor(() => follow.lines.some((l) => Number(l.split(' ')[1]) >= first + 3), { timeoutMs: 10_000, what: 'later lines' });
    } finally {
      follow.cancel();
    }
    await controller.api.delete('reservations', 'talker');
  });

  it("ends a follow stream when the node's agent goes away", async () => {
    expect((await controller.api.apply(reservation('orphaned-follow', { image: 'ticker' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'orphaned-follow')).body?.status?.phase === 'Running', {
      timeoutMs: 30_000,
      what: 'Running',
    });
    const res = await controller.fetch(`${controller.url}/api/v1/reservations/orphaned-follow/logs?follow=1&tail=1`, { headers: auth() });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false); // the stream is live
    await agent.stop('SIGKILL');
    // Drained to its end: without the fix this read never finishes and the test times out.
    for (;;) if ((await reader.read()).done) break;
    await launchAgent();
    await controller.api.delete('reservations', 'orphaned-follow');
  });

  it('refuses logs of a reservation without a container', async () => {
    expect((await controller.api.apply(reservation('later', { start: new Date(Date.now() + 3_600_000).toISOString() }))).status).toBe(201);
    const r = await controller.fetch(`${controller.url}/api/v1/reservations/later/logs`, { headers: auth() });
    expect(r.status).toBe(409);
    await controller.api.delete('reservations', 'later');
  });
});

describe('metrics', () => {
  it('records node samples into the history the charts read', async () => {
    const samples = await waitFor(
      async () => {
        const { body } = await controller.api.request('GET', `/api/v1/nodes/${node}/metrics?range=15m`);
        return body?.samples?.length ? body.samples : undefined;
      },
      { timeoutMs: 10_000, what: 'a metrics sample' },
    );
    expect(samples[0]).toMatchObject({ resolution: 60, memoryTotalMiB: expect.any(Number), memoryUsedMiB: expect.any(Number), cpuPercent: expect.any(Number) });
    expect(samples[0].memoryUsedMiB).toBeLessThanOrEqual(samples[0].memoryTotalMiB);
  });

  it('serves Prometheus text format on the controller with conventional names and labels', async () => {
    const res = await controller.fetch(`${controller.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(await res.text());
    expect(m.get('berth_nodes')?.find((s) => s.labels.ready === 'true' && s.labels.cordoned === 'false')?.value).toBeGreaterThanOrEqual(1);
    expect(m.get('berth_reservations')?.some((s) => s.labels.phase === 'Running')).toBe(true);
    expect(m.get('berth_node_memory_bytes')?.some((s) => s.labels.node === node && s.labels.kind === 'total' && s.value > 0)).toBe(true);
    expect(m.has('berth_controller_process_cpu_user_seconds_total')).toBe(true);
    // Every request above read the store: the count of statements it was sent has moved.
    expect(m.get('berth_controller_store_statements_total')?.[0]?.value).toBeGreaterThan(0);
  });

  it('serves /metrics, /healthz and /readyz on the agent listener', async () => {
    const base = `http://127.0.0.1:${agentMetricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const m = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(m.get('berth_agent_connected')?.[0].value).toBe(1);
    expect(m.get('berth_node_memory_bytes')?.some((s) => s.labels.node === node && s.labels.kind === 'free')).toBe(true);
  });
});

describe('CLI', () => {
  const env = () => ({ BERTH_SERVER: controller.url, BERTH_TOKEN: controller.api.token, BERTH_CERTIFICATE_AUTHORITY: controller.caFile });

  it('berth get reservations -w prints each change as it happens', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await controller.api.apply(reservation('clw-before', { image: 'ticker', start: later }))).status).toBe(201);
    const child = spawn(process.execPath, [BERTH_BIN, 'get', 'reservations', '-w'], {
      env: { ...process.env, BERTH_CONFIG: undefined, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    try {
      // The watch is established once it has listed what already exists.
      await waitFor(() => /ADDED\s+clw-before\b/.test(out), { timeoutMs: 15_000, what: 'initial listing' });
      expect((await controller.api.apply(reservation('clw', { image: 'ticker' }))).status).toBe(201);
      await waitFor(() => /ADDED\s+clw\b/.test(out), { timeoutMs: 10_000, what: 'ADDED row' });
      await waitFor(() => /MODIFIED\s+clw\b.*Running/.test(out), { timeoutMs: 15_000, what: 'Running row' }).catch((e) => {
        throw new Error(`${e.message}; output:\n${out}`);
      });
      await controller.api.delete('reservations', 'clw');
      await waitFor(() => /DELETED\s+clw\b/.test(out), { timeoutMs: 10_000, what: 'DELETED row' });
      expect(out).toMatch(/ADDED\s+clw\s+ticker\s+(Scheduled|Starting)\b/);
    } finally {
      child.kill('SIGTERM');
      await controller.api.delete('reservations', 'clw-before');
    }
  });

  it('berth top nodes shows CPU and memory per node', async () => {
    const r = await runCli(['top', 'nodes'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NAME\s+CPU%\s+LOAD1\s+MEMORY/);
    expect(r.stdout).toContain(node);
  });

  it('berth logs prints the container output', async () => {
    expect((await controller.api.apply(reservation('cli-logs', { image: 'ticker' }))).status).toBe(201);
    await waitFor(async () => (await controller.api.get('reservations', 'cli-logs')).body?.status?.phase === 'Running', { timeoutMs: 30_000, what: 'Running' });
    await waitFor(async () => /tick \d+/.test((await runCli(['logs', 'cli-logs', '--tail', '2'], { env: env() })).stdout), {
      timeoutMs: 10_000,
      what: 'log lines',
    });
    await controller.api.delete('reservations', 'cli-logs');
  });
});
