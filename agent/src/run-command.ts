import { execFile } from 'node:child_process';

const TIMEOUT_MS = 30_000;

/** Runs a command from an argument array (never a shell), optionally feeding stdin; resolves to stdout. */
export function runCommand(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(new Error(`${command} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
    });
    // An EPIPE on a child that exits early is reported through the exit callback above.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}
