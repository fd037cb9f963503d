// The real `berth` CLI as a subprocess, the way a user runs it.
import { spawn } from 'node:child_process';
import { BERTH_BIN } from './processes.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Added to a copy of this process's environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin, which is then closed. */
  stdin?: string;
  timeoutMs?: number;
  /** The `berth` executable (default: the checkout's bin), e.g. an unpacked release's. */
  bin?: string;
}

// The caller's own BERTH_* settings must never leak into a test's CLI.
const CLIENT_VARS = ['BERTH_CONFIG', 'BERTH_CONTEXT', 'BERTH_SERVER', 'BERTH_TOKEN'];

export async function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of CLIENT_VARS) delete env[name];
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = spawn(process.execPath, [opts.bin ?? BERTH_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.end(opts.stdin ?? '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  if (code === null) throw new Error(`berth ${args.join(' ')} did not exit within ${timeoutMs} ms: ${result.stderr}`);
  return result;
}
