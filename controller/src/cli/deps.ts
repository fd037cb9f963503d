// The CLI's ports to the outside world, so commands can run against fakes or the real process.
import { text } from 'node:stream/consumers';

export interface CliDeps {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  fetch: typeof fetch;
  now: () => Date;
}

export function processDeps(): CliDeps {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    readStdin: () => text(process.stdin),
    // npm's undici, which the CLI loads anyway to verify a server against its CA: Node's own fetch
    // would load and set up a second undici (~40 ms at every command that talks to the server).
    fetch: (async (input: string | URL, init?: RequestInit) => (await import('undici')).default.fetch(input, init as never)) as unknown as typeof fetch,
    now: () => new Date(),
  };
}

/** Thrown by a command that already reported its failures and only needs to set the exit code. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}
