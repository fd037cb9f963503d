import { Duplex } from 'node:stream';
import pino from 'pino';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { ExecOutputIn } from '@berth/proto';
import { ExecRun } from './exec-run.ts';

/** An engine whose exec starts when the test says, with a stream that records what is written. */
function fakeEngine() {
  const written: string[] = [];
  let ended = false;
  const stream = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      written.push(String(chunk));
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  let startNow!: () => void;
  const started = new Promise<void>((r) => {
    startNow = r;
  });
  const exec = { start: async () => (await started, stream), inspect: async () => ({ Running: false, ExitCode: 0, Pid: 0 }), resize: async () => undefined };
  const docker = { getContainer: () => ({ exec: async () => exec }) } as unknown as Docker;
  return { docker, written, startNow, ended: () => ended };
}

describe('ExecRun', () => {
  it('keeps input (and its end) that arrives before the engine has started the exec, in order', async () => {
    const e = fakeEngine();
    const sent: Omit<ExecOutputIn, 'execId'>[] = [];
    const start = { reservationId: 'r1', command: ['cat'], tty: false, stdin: true, size: null, timeoutMs: 60_000 };
    const run = new ExecRun(
      e.docker,
      'c'.repeat(64),
      start,
      (o) => sent.push(o),
      pino({ level: 'silent' }),
      () => undefined,
    );
    const begun = run.begin();
    run.stdin(Buffer.from('early '));
    run.stdin(Buffer.from('input'));
    run.stdinEof();
    e.startNow();
    await begun;
    run.cancel('test over');
    expect(e.written.join('')).toBe('early input');
    expect(e.ended()).toBe(true);
  });
});
