import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import { checkCommand } from '../../exec/exec-params.ts';
import { type ClientFlags, resolveClientConfig } from '../../client-config/index.ts';
import { CliExit, type CliDeps } from '../deps.ts';
import { openExecConnection } from '../exec-connect.ts';
import { exitCodeOfExec, runExecSession } from '../exec-session.ts';

interface ExecFlags {
  stdin?: boolean;
  tty?: boolean;
  timeout?: string;
}

/** Pure: the request path for an exec. */
export function execPath(
  name: string,
  command: string[],
  o: { stdin: boolean; tty: boolean; timeout?: string; size?: { rows: number; cols: number } },
): string {
  const q = new URLSearchParams();
  for (const a of checkCommand(command)) q.append('command', a);
  if (o.stdin) q.set('stdin', '1');
  if (o.tty) q.set('tty', '1');
  if (o.size) {
    q.set('rows', String(o.size.rows));
    q.set('cols', String(o.size.cols));
  }
  if (o.timeout !== undefined) q.set('timeout', o.timeout);
  return `api/v1/reservations/${encodeURIComponent(name)}/exec?${q}`;
}

const terminalSize = (): { rows: number; cols: number } | undefined => {
  const { rows, columns } = process.stdout;
  return rows > 0 && columns > 0 ? { rows: Math.min(rows, 1000), cols: Math.min(columns, 1000) } : undefined;
};

export function registerExec(program: Command, deps: CliDeps): void {
  program
    .command('exec')
    .description("run a command in a reservation's container (its owner or an admin); exits with the command's code")
    .argument('<name>', 'reservation name')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'give the command a terminal (raw mode and resizes when stdin is a terminal)')
    .option('--timeout <duration>', "end the command after this long (default: the server's, 1h; at most its maximum, 24h)")
    .addHelpText('after', '\nExamples:\n  berth exec demo -- cat /etc/os-release\n  berth exec demo -it -- sh')
    .action(async (name: string, command: string[], opts: ExecFlags, cmd: Command) => {
      const wantTty = !!opts.tty;
      // Like kubectl: a TTY only makes sense on a terminal.
      const tty = wantTty && (!opts.stdin || process.stdin.isTTY === true);
      if (wantTty && !tty) deps.stderr('warning: stdin is not a terminal: running without a TTY\n');
      if (opts.timeout !== undefined && !/^(\d+(\.\d+)?[smhd])+$/.test(opts.timeout))
        throw new BerthError('Invalid', `--timeout: "${opts.timeout}" is not a duration (e.g. 30m, 2h)`, 'timeout');
      const size = tty ? terminalSize() : undefined;
      const path = execPath(name, command, { stdin: !!opts.stdin, tty, timeout: opts.timeout, size });
      const flags = cmd.optsWithGlobals<ClientFlags>();
      const socket = await openExecConnection(resolveClientConfig({ flags, env: deps.env }), path);
      const raw = tty && opts.stdin && process.stdin.isTTY === true;
      if (raw) process.stdin.setRawMode(true);
      try {
        const end = await runExecSession(socket, {
          stdin: opts.stdin ? process.stdin : undefined,
          stdout: process.stdout,
          stderr: process.stderr,
          size: tty ? terminalSize : undefined,
          onResize: tty
            ? (fn) => {
                process.stdout.on('resize', fn);
                return () => process.stdout.off('resize', fn);
              }
            : undefined,
        });
        if ('limit' in end) deps.stderr(`error: ${end.message}\n`);
        const code = exitCodeOfExec(end);
        if (code instanceof BerthError) throw code;
        if (code !== 0) throw new CliExit(code);
      } finally {
        if (raw) process.stdin.setRawMode(false);
        if (opts.stdin) process.stdin.destroy();
      }
    });
}
