// Pure: what `POST /api/v1/reservations/NAME/exec` asks for, validated at the edge, and the
// one-line description of a command that events and logs carry.
import { BerthError } from '../errors/index.ts';
import { formatDurationMs, parseDurationMs } from '../manifests/quantity.ts';
import { isDimension } from './exec-frames.ts';

export interface ExecParams {
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** The terminal's size at the start (tty only). */
  size?: { rows: number; cols: number };
  timeoutMs: number;
}

export interface ExecLimits {
  /** When the request names no timeout. */
  defaultTimeoutMs: number;
  /** The longest timeout a request may ask for. */
  maxTimeoutMs: number;
  /** An exec with no input and no output for this long is ended. */
  idleTimeoutMs: number;
}

export const DEFAULT_EXEC_LIMITS: ExecLimits = { defaultTimeoutMs: 3600_000, maxTimeoutMs: 24 * 3600_000, idleTimeoutMs: 30 * 60_000 };

export const MAX_EXEC_ARGS = 256;
export const MAX_EXEC_ARG_BYTES = 4096;
export const MAX_EXEC_COMMAND_BYTES = 16 * 1024;

const flag = (v: string | undefined, name: string): boolean => {
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new BerthError('Invalid', `${name}: must be 1, 0, true or false`, name);
};

const dimension = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !isDimension(n)) throw new BerthError('Invalid', `${name}: must be a whole number from 1 to 1000`, name);
  return n;
};

/** Validates a command line: 1-256 arguments, no NUL, at most 4 KiB each and 16 KiB in all. */
export function checkCommand(command: readonly string[]): string[] {
  if (command.length === 0 || command[0] === '')
    throw new BerthError('Invalid', 'command: give the command to run (berth exec NAME -- CMD [ARGS...])', 'command');
  if (command.length > MAX_EXEC_ARGS) throw new BerthError('Invalid', `command: at most ${MAX_EXEC_ARGS} arguments (got ${command.length})`, 'command');
  let total = 0;
  for (const [i, arg] of command.entries()) {
    const bytes = Buffer.byteLength(arg);
    if (arg.includes('\0')) throw new BerthError('Invalid', `command: argument ${i} contains a NUL byte`, 'command');
    if (bytes > MAX_EXEC_ARG_BYTES) throw new BerthError('Invalid', `command: argument ${i} is ${bytes} bytes, over ${MAX_EXEC_ARG_BYTES}`, 'command');
    total += bytes;
  }
  if (total > MAX_EXEC_COMMAND_BYTES) throw new BerthError('Invalid', `command: ${total} bytes in all, over ${MAX_EXEC_COMMAND_BYTES}`, 'command');
  return [...command];
}

/** Checks a timeout such as `30m` against the limits; undefined gives the default. */
export function parseExecTimeout(text: string | undefined, limits: ExecLimits): number {
  if (text === undefined) return limits.defaultTimeoutMs;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 1000) throw new BerthError('Invalid', `timeout: "${text}" is not a duration of at least 1s (e.g. 30m, 2h)`, 'timeout');
  if (ms > limits.maxTimeoutMs) throw new BerthError('Invalid', `timeout: ${text} is over the limit of ${formatDurationMs(limits.maxTimeoutMs)}`, 'timeout');
  return ms;
}

export interface ExecQuery {
  command?: string | string[];
  tty?: string;
  stdin?: string;
  rows?: string;
  cols?: string;
  timeout?: string;
}

/** The query string of an exec request (Kubernetes' convention: one `command` per argument). */
export function parseExecQuery(q: ExecQuery, limits: ExecLimits): ExecParams {
  const raw = q.command === undefined ? [] : Array.isArray(q.command) ? q.command : [q.command];
  const command = checkCommand(raw);
  const tty = flag(q.tty, 'tty');
  const stdin = flag(q.stdin, 'stdin');
  const rows = dimension(q.rows, 'rows');
  const cols = dimension(q.cols, 'cols');
  if ((rows === undefined) !== (cols === undefined))
    throw new BerthError('Invalid', 'rows and cols: give both or neither', rows === undefined ? 'rows' : 'cols');
  const timeoutMs = parseExecTimeout(q.timeout, limits);
  return { command, tty, stdin, ...(tty && rows && cols ? { size: { rows, cols } } : {}), timeoutMs };
}

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command as a shell would read it, cut to max characters with a marker; for events and logs. */
export function describeCommand(command: readonly string[], max = 200): string {
  const text = command
    .map((a) => (PLAIN.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ')
    // Control characters (an escape sequence in an argument) must not reach a terminal reading events.
    .replace(/\p{Cc}/gu, '?');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
