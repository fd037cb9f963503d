// The CLI's ports to the outside world, so commands can run against fakes or the real process.
import { nodeRequest, type HttpRequest } from './node-request.ts';

export interface CliDeps {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  /** HTTP(S) to the server; `ca` in its options is the only CA the server may chain to. */
  fetch: HttpRequest;
  now: () => Date;
}

export function processDeps(): CliDeps {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    readStdin: () => process.getBuiltinModule('node:stream/consumers').text(process.stdin),
    fetch: nodeRequest,
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
