// The release artifact as an operator gets it: `npm run release` makes the tarball from this
// checkout, it is unpacked into an empty directory outside the repository, and its own
// executables run from there: `berth version` names this commit, a controller starts and serves
// the API and the dashboard (bundled at build time), an agent registers with it, and the CLI
// lists the node. This is also CI's proof that the build runs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SHEBANG } from '../../agent/src/install/node-flags.ts';
import { BERTH_SHEBANG } from '../../controller/src/cli/node-flags.ts';
import { runCli } from '../support/cli.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

let work: string;
let home: string; // the unpacked berth-VERSION/
let controller: ControllerProcess | undefined;
let agent: AgentProcess | undefined;

const bin = (name: string) => path.join(home, 'bin', name);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'berth-release-'));
  const out = path.join(work, 'out');
  const { stdout } = await run('npm', ['run', '--silent', 'release', '--', '--out', out], { cwd: ROOT, timeout: 240_000 });
  const tarball = stdout.trim().split('\n').at(-1)!;
  const unpacked = path.join(work, 'unpacked');
  await run('mkdir', [unpacked]);
  await run('tar', ['-xzf', tarball, '-C', unpacked]);
  const [top] = await readdir(unpacked);
  home = path.join(unpacked, top);
}, 300_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.stop();
  if (work) await removeDir(work);
});

describe('the release tarball', () => {
  it('is versioned and holds the executables, units and production dependencies, not the sources', async () => {
    const { version } = (await import(path.join(ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
    expect(path.basename(home)).toBe(`berth-${version}`);
    const entries = await readdir(home);
    expect(entries).toEqual(expect.arrayContaining(['bin', 'dist', 'node_modules', 'deploy', 'install.sh', 'package.json', 'README.md']));
    expect(entries).not.toContain('controller');
    expect(await readdir(path.join(home, 'deploy', 'systemd'))).toEqual(['berth-agent.service', 'berth-controller.service']);
    const modules = await readdir(path.join(home, 'node_modules'));
    expect(modules).toEqual(expect.arrayContaining(['better-sqlite3', 'bcrypt', 'fastify']));
    for (const devOnly of ['tsx', 'esbuild', 'vitest', 'typescript', 'prisma', '@berth']) expect(modules).not.toContain(devOnly);
  });

  it('`berth version` prints the version and the commit it was built from', async () => {
    const { stdout: head } = await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT });
    const res = await runCli(['version'], { bin: bin('berth') });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^berth version \\d+\\.\\d+\\.\\d+ commit ${head.trim()}(-dirty)?\\n$`));
  });

  it('`berth --help` and `berth-agent --help` answer from the unpacked directory', async () => {
    const help = await runCli(['--help'], { bin: bin('berth') });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: berth/);
    expect(help.stdout).toMatch(/controller/);
    // Run as the unit runs it: the executable itself, whose first line gives node the agent's flags.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const agentHelp = await run(bin('berth-agent'), ['--help'], { cwd: home, env }).catch((err: { code: number; stderr: string }) => err);
    expect((agentHelp as { stderr: string }).stderr).toMatch(/^berth-agent: usage: berth-agent --controller HOST:PORT/);
    expect((await readFile(bin('berth-agent'), 'utf8')).split('\n')[0]).toBe(AGENT_SHEBANG);
    expect((await readFile(bin('berth'), 'utf8')).split('\n')[0]).toBe(BERTH_SHEBANG);
  });

  it('runs a controller (API, dashboard) and an agent that registers; the CLI lists the node', async () => {
    controller = await startController({ bin: bin('berth'), nat: 'userspace' });
    const health = await controller.fetch(`${controller.url}/healthz`);
    expect(health.status).toBe(200);
    const app = await controller.fetch(`${controller.url}/ui/app.js`);
    expect(app.status).toBe(200);
    expect(await app.text()).toMatch(/^"use strict";/);

    const nodeName = uniqueName('rel');
    agent = startAgent({ bin: bin('berth-agent'), controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName });
    const env = { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') };
    const listed = await waitFor(
      async () => {
        const res = await runCli(['get', 'nodes'], { bin: bin('berth'), env });
        return res.code === 0 && new RegExp(`^${nodeName}\\s+Ready`, 'm').test(res.stdout) ? res.stdout : undefined;
      },
      {
        timeoutMs: 30_000,
        what: `node ${nodeName} Ready in berth get nodes`,
        failFast: () => (agent!.child.exitCode !== null ? `agent exited: ${agent!.log}` : undefined),
      },
    );
    expect(listed).toMatch(/NAME/);
  });

  it('the agent bundle a node downloads runs alone, and reads its settings from a --config file', async () => {
    const alone = path.join(work, 'agent-alone');
    await run('mkdir', [alone]);
    await run('tar', ['-xzf', path.join(home, 'dist', 'berth-agent.tar.gz'), '-C', alone]);
    const config = path.join(alone, 'agent.yaml');
    await writeFile(config, 'controller: 127.0.0.1:1\nnode-name: alone\naddress: 127.0.0.1\njoin-token: not-a-token\n');
    expect((await readFile(path.join(alone, 'berth-agent.mjs'), 'utf8')).split('\n')[0]).toBe(AGENT_SHEBANG);
    const res = await run(process.execPath, [path.join(alone, 'berth-agent.mjs'), '--config', config], { cwd: alone }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    // The join token came from the file, so the file was read as YAML; it is refused on its own merits.
    expect((res as { stderr: string }).stderr).toMatch(/^berth-agent: bad --join-token/);
  });

  it("serves the one-line join from the release's own agent bundle, announcing its SHA-256", async () => {
    const bundle = await readFile(path.join(home, 'dist', 'berth-agent.tar.gz'));
    const script = await controller!.fetch(`${controller!.url}/install/agent.sh`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain(`BUNDLE_SHA256='${createHash('sha256').update(bundle).digest('hex')}'`);
    const served = await controller!.fetch(`${controller!.url}/install/berth-agent.tar.gz`);
    expect(Buffer.from(await served.arrayBuffer()).equals(bundle)).toBe(true);
  });
});
