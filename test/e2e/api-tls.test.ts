// The API over HTTPS with Berth's own CA, against a real controller process and the real CLI:
// the CA in the CLI config verifies the server, a wrong CA is refused, `berth login` takes the CA
// from a file or, on a terminal, after showing its fingerprint; plain HTTP is refused off loopback.
import { spawn } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli, type CliResult } from '../support/cli.ts';
import { currentContext } from '../support/client-config.ts';
import { BERTH_BIN, freePort, removeDir, startController, type ControllerProcess } from '../support/processes.ts';
import { ApiClient } from '../support/api-client.ts';
import { waitFor } from '../support/wait.ts';
import { certificateFingerprint, createCertificateAuthority, formatFingerprint } from '../../controller/src/pki/index.ts';

let controller: ControllerProcess;
let tmp: string;
const PASSWORD = 'Tls-login-2026';

beforeAll(async () => {
  controller = await startController({ nat: 'userspace' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-api-tls-'));
  const signup = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
    username: 'tess',
    email: 'tess@example.com',
    password: PASSWORD,
  });
  expect(signup.status).toBe(201);
});

afterAll(async () => {
  await controller?.stop();
  if (controller) await removeDir(controller.dataDir);
  if (tmp) await removeDir(tmp);
});

const fresh = (name: string) => ({ BERTH_CONFIG: path.join(tmp, name), HOME: path.join(tmp, 'home') });
const oneErrorLine = (r: CliResult) => {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
};
const fingerprint = () => formatFingerprint(certificateFingerprint(controller.ca));

describe('the API over HTTPS', () => {
  it('answers the CLI over HTTPS, verified with the CA the controller put in its admin config', async () => {
    expect(controller.url).toMatch(/^https:\/\//);
    const configFile = path.join(controller.dataDir, 'berth.config');
    const config = (await currentContext(configFile))!;
    expect(config.server).toBe(controller.url);
    expect(Buffer.from(config['certificate-authority-data'], 'base64').toString()).toBe(controller.ca);
    const r = await runCli(['whoami'], { env: { BERTH_CONFIG: configFile } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^admin \(admin\)/);
    expect(r.code).toBe(0);
  });

  it('keeps the CA key 0600 and the certificate 0644 in a 0700 directory, and prints the CA with `berth config ca`', async () => {
    const mode = async (f: string) => (await stat(path.join(controller.dataDir, 'pki', f))).mode & 0o777;
    expect(await mode('.')).toBe(0o700);
    expect(await mode('ca.key')).toBe(0o600);
    expect(await mode('ca.crt')).toBe(0o644);
    const printed = await runCli(['config', 'ca'], { env: { BERTH_CONFIG: path.join(controller.dataDir, 'berth.config') } });
    expect(printed.stdout).toBe(controller.ca);
    expect(printed.stderr).toBe(`SHA-256 fingerprint: ${fingerprint()}\n`);
  });

  it('is refused by the CLI when its config holds another CA: one clear line, exit 9, nothing sent', async () => {
    const other = (await createCertificateAuthority()).certPem;
    const file = path.join(tmp, 'wrong-ca');
    await writeFile(
      file,
      stringify({ server: controller.url, token: controller.api.token, 'certificate-authority-data': Buffer.from(other).toString('base64') }),
      { mode: 0o600 },
    );
    for (const args of [
      ['get', 'nodes'],
      ['get', 'reservations', '-w'],
    ]) {
      const r = await runCli(args, { env: { BERTH_CONFIG: file } });
      expect(r.code).toBe(9);
      expect(r.stdout).toBe('');
      expect(oneErrorLine(r)).toBe(
        `error: refusing to talk to ${controller.url}: self-signed certificate in certificate chain; the CA in your config (or --certificate-authority) is not the one that signed it: get the right one from your admin (\`berth config ca\` on the management node) or run \`berth login --server URL\` to check and trust it`,
      );
    }
  });

  it('logs in with --certificate-authority FILE and keeps that CA in the new config for later commands', async () => {
    const env = fresh('login-with-ca');
    const r = await runCli(['login', '--server', controller.url, '--certificate-authority', controller.caFile, '--username', 'tess', '--password-stdin'], {
      env,
      stdin: `${PASSWORD}\n`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const saved = (await currentContext(env.BERTH_CONFIG))!;
    expect(Buffer.from(saved['certificate-authority-data'], 'base64').toString()).toBe(controller.ca);
    const me = await runCli(['whoami'], { env });
    expect(me.stdout).toMatch(/^tess \(customer\)/);
  });

  it('refuses to log in without a CA when not on a terminal, naming the way out, and writes no config', async () => {
    const env = fresh('no-ca');
    const r = await runCli(['login', '--server', controller.url, '--username', 'tess', '--password-stdin'], { env, stdin: `${PASSWORD}\n` });
    expect(r.code).toBe(9);
    expect(oneErrorLine(r)).toContain(`SHA-256 ${fingerprint()}): pass --certificate-authority FILE`);
    expect(existsSync(env.BERTH_CONFIG)).toBe(false);
  });

  it('on a terminal shows the CA fingerprint and trusts it once the user answers y', async () => {
    const env = fresh('tofu-yes');
    const session = terminal(['login', '--server', controller.url, '--username', 'tess'], env);
    await session.waitFor(/Trust this CA for .*\? \[y\/N\] /);
    expect(session.output).toContain(`SHA-256 fingerprint: ${fingerprint()}`);
    session.type('y\n');
    await session.waitFor(/Password: /);
    session.type(`${PASSWORD}\n`);
    expect(await session.exit).toBe(0);
    expect(session.output).toContain('Logged in as tess (customer)');
    const saved = (await currentContext(env.BERTH_CONFIG))!;
    expect(Buffer.from(saved['certificate-authority-data'], 'base64').toString()).toBe(controller.ca);
    expect((await runCli(['whoami'], { env })).stdout).toMatch(/^tess \(customer\)/); // no question the second time
  });

  it('on a terminal sends nothing and saves nothing when the user answers n', async () => {
    const env = fresh('tofu-no');
    const session = terminal(['login', '--server', controller.url, '--username', 'tess'], env);
    await session.waitFor(/Trust this CA for .*\? \[y\/N\] /);
    session.type('n\n');
    expect(await session.exit).toBe(9);
    expect(session.output).toContain(`error: not trusting ${controller.url}: nothing was sent to it and nothing was saved`);
    expect(session.output).not.toContain('Password:');
    expect(existsSync(env.BERTH_CONFIG)).toBe(false);
  });
});

describe('plain HTTP', () => {
  const controllerRun = async (args: string[]) => {
    const dataDir = path.join(tmp, `plain-${args.join('-').replace(/[^a-z0-9]+/g, '')}`);
    const r = await runCli([
      'controller',
      '--data-dir',
      dataDir,
      '--port',
      String(await freePort()),
      '--grpc-port',
      String(await freePort()),
      '--nat',
      'userspace',
      ...args,
    ]);
    return { r, dataDir };
  };

  it('is refused for a production controller bound to a non-loopback address, before anything is written', async () => {
    const { r, dataDir } = await controllerRun(['--host', '0.0.0.0', '--tls', 'off']);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(
      /^error: tls: plain HTTP \("off"\) is only allowed on a loopback --host \(127\.0\.0\.1, ::1 or localhost\), not "0\.0\.0\.0"/,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses half a TLS configuration, naming the missing setting', async () => {
    const { r } = await controllerRun(['--host', '0.0.0.0', '--tls-cert', controller.caFile]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain('tls-key: --tls-cert and --tls-key go together; tls-key is missing');
  });

  it('is refused by the CLI for a server that is not on this machine', async () => {
    const r = await runCli(['get', 'nodes'], {
      env: { BERTH_CONFIG: undefined, HOME: path.join(tmp, 'home'), BERTH_SERVER: 'http://192.0.2.1:7070', BERTH_TOKEN: 'berth_x' },
    });
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toContain('server: http://192.0.2.1:7070/ is plain HTTP; Berth serves its API over HTTPS, use https://');
  });
});

/**
 * The CLI on a pseudo-terminal (Python's pty module relays the pipes to it), so it asks as it
 * would a person. The command goes over as an argument array: no shell in between.
 */
const PTY_RELAY = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
function terminal(args: string[], env: Record<string, string>) {
  const child = spawn('python3', ['-c', PTY_RELAY, process.execPath, BERTH_BIN, ...args], {
    env: { ...process.env, BERTH_SERVER: '', BERTH_TOKEN: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const session = {
    output: '',
    type: (text: string) => void child.stdin.write(text),
    waitFor: (pattern: RegExp) => waitFor(() => pattern.test(session.output), { timeoutMs: 20_000, what: `${pattern} in: ${session.output}` }),
    exit: new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code))),
  };
  child.stdout.on('data', (d) => {
    session.output += String(d);
  });
  child.stderr.on('data', (d) => {
    session.output += String(d);
  });
  return session;
}
