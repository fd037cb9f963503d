// The CLI's end of an exec: the terminal's bytes to frames and frames back to the terminal, with
// backpressure both ways (a full socket pauses stdin; a full stdout pauses the socket).
import type { Duplex, Readable, Writable } from 'node:stream';
import { BerthError, isErrorCode } from '../errors/index.ts';
import { encodeFrame, FrameReader, FrameType, type ExecEnd } from '../exec/exec-frames.ts';

const STDIN_FRAME_BYTES = 32 * 1024;

export interface ExecTerminal {
  /** Present with -i. */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** With a TTY: the current size, and a way to hear of changes (returns an unsubscribe). */
  size?: () => { rows: number; cols: number } | undefined;
  onResize?: (fn: () => void) => () => void;
}

/** Relays until the exec ends; resolves with how it ended. */
export function runExecSession(socket: Duplex, term: ExecTerminal): Promise<ExecEnd> {
  return new Promise<ExecEnd>((resolve, reject) => {
    const reader = new FrameReader();
    let end: ExecEnd | undefined;
    const unsubscribe = term.onResize?.(() => {
      const s = term.size?.();
      if (s) socket.write(encodeFrame(FrameType.Resize, JSON.stringify(s)));
    });
    const onInput = (d: Buffer) => {
      let ok = true;
      for (let off = 0; off < d.length; off += STDIN_FRAME_BYTES)
        ok = socket.write(encodeFrame(FrameType.Stdin, d.subarray(off, off + STDIN_FRAME_BYTES))) && ok;
      if (!ok) {
        term.stdin?.pause();
        socket.once('drain', () => term.stdin?.resume());
      }
    };
    const onInputEnd = () => socket.write(encodeFrame(FrameType.StdinEof));
    term.stdin?.on('data', onInput);
    term.stdin?.on('end', onInputEnd);
    const cleanup = () => {
      unsubscribe?.();
      term.stdin?.off('data', onInput);
      term.stdin?.off('end', onInputEnd);
      term.stdin?.pause();
    };
    const write = (out: Writable, data: Buffer) => {
      if (!out.write(data)) {
        socket.pause();
        out.once('drain', () => socket.resume());
      }
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          if (f.type === FrameType.Stdout) write(term.stdout, f.payload);
          else if (f.type === FrameType.Stderr) write(term.stderr, f.payload);
          else if (f.type === FrameType.Exit) end = JSON.parse(f.payload.toString()) as ExecEnd;
        }
      } catch (err) {
        socket.destroy();
        cleanup();
        reject(err instanceof BerthError ? err : new BerthError('Internal', `exec stream from the server unreadable: ${(err as Error).message}`));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      cleanup();
      if (end) resolve(end);
      else reject(new BerthError('Unavailable', 'the connection to the server closed before the command ended'));
    });
    const s = term.size?.();
    if (s) socket.write(encodeFrame(FrameType.Resize, JSON.stringify(s)));
    if (!term.stdin) socket.write(encodeFrame(FrameType.StdinEof));
    term.stdin?.resume();
  });
}

/** Exit code of `berth exec` for how the command ended; a limit is 124, as timeout(1) says. */
export function exitCodeOfExec(end: ExecEnd): number | BerthError {
  if ('exitCode' in end) return end.exitCode;
  if ('limit' in end) return 124;
  return new BerthError(isErrorCode(end.error.code) ? end.error.code : 'Internal', end.error.message);
}
