// One exec in a container, relayed over the controller stream: output is sent in chunks of at
// most EXEC_CHUNK_BYTES and never more than EXEC_WINDOW_BYTES beyond what the controller
// acknowledged; past that the engine's stream is paused, so a command writing without end
// (`yes`) blocks on its own pipe instead of filling the node's stream or the agent's memory.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type pino from 'pino';
import { EXEC_ACK_EVERY_BYTES, EXEC_CHUNK_BYTES, EXEC_WINDOW_BYTES, type ExecOutputIn, type ExecStart } from '@berth/proto';
import { agentTimeoutMs } from './exec-checks.ts';
import { killExecTree } from './process-tree.ts';
import { MuxReader } from './mux-reader.ts';

export type ExecSend = (o: Omit<ExecOutputIn, 'execId'>) => void;

// After the engine's stream ends the exec may take a moment to show as exited.
const EXIT_POLLS = 20;
const EXIT_POLL_MS = 50;

export class ExecRun {
  private exec?: Docker.Exec;
  private stream?: Duplex;
  private readonly pending: { stream: 1 | 2; data: Buffer }[] = [];
  private readonly mux?: MuxReader;
  private sent = 0;
  private acked = 0;
  private inputWritten = 0;
  private inputAckSent = 0;
  private eof = false;
  private done = false;
  private timer?: NodeJS.Timeout;
  /** Input that came while the engine was still starting the exec (at most a window of it). */
  private early: Buffer[] = [];
  private earlyEof = false;

  constructor(
    private readonly docker: Docker,
    private readonly containerId: string,
    private readonly start: ExecStart,
    private readonly send: ExecSend,
    private readonly log: pino.Logger,
    private readonly onDone: () => void,
  ) {
    if (!start.tty) this.mux = new MuxReader();
  }

  async begin(): Promise<void> {
    const { command, tty, stdin } = this.start;
    // Never Privileged and no User: the process gets the container's own user, capabilities,
    // no-new-privileges, seccomp profile and cgroup limits (PIDs, memory), as the engine applies
    // a container's settings to every process it runs in it.
    const exec = await this.docker
      .getContainer(this.containerId)
      .exec({ Cmd: command, AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Tty: tty, Privileged: false });
    this.exec = exec;
    const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: tty })) as Duplex;
    this.stream = stream;
    if (this.done) return void stream.destroy();
    this.timer = setTimeout(() => this.cancel(`time limit of ${Math.round(agentTimeoutMs(this.start) / 1000)} s reached`), agentTimeoutMs(this.start));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('close', () => this.onEnd());
    stream.on('error', (err: Error) => this.log.debug({ err: err.message }, 'exec stream error'));
    if (tty && this.start.size) this.resize(this.start.size);
    if (!stdin) return void stream.end();
    const early = this.early;
    this.early = [];
    for (const d of early) this.stdin(d);
    if (this.earlyEof) stream.end();
  }

  private onData(chunk: Buffer): void {
    if (this.mux) for (const f of this.mux.push(chunk)) this.queue(f.stream, f.data);
    else this.queue(1, chunk);
    this.flush();
  }

  private queue(stream: 1 | 2, data: Buffer): void {
    for (let off = 0; off < data.length; off += EXEC_CHUNK_BYTES) this.pending.push({ stream, data: data.subarray(off, off + EXEC_CHUNK_BYTES) });
  }

  /** Sends what the window allows; pauses the engine's stream while output waits. */
  private flush(): void {
    while (this.pending.length && this.sent - this.acked < EXEC_WINDOW_BYTES) {
      const p = this.pending.shift()!;
      this.send({ data: p.data, stream: p.stream });
      this.sent += p.data.length;
    }
    if (this.pending.length) this.stream?.pause();
    else if (this.eof) void this.finish();
    else this.stream?.resume();
  }

  /** The controller delivered output up to this many bytes. */
  ack(outputAcked: number): void {
    if (outputAcked <= this.acked) return;
    this.acked = Math.min(outputAcked, this.sent);
    this.flush();
  }

  stdin(data: Buffer): void {
    const s = this.stream;
    if (this.done || !this.start.stdin) return;
    if (!s) {
      // The controller sends input at once; the engine has not started the exec yet.
      if (this.early.reduce((n, b) => n + b.length, data.length) <= EXEC_WINDOW_BYTES + EXEC_CHUNK_BYTES) this.early.push(data);
      return;
    }
    if (!s.writable) return;
    s.write(data, () => {
      this.inputWritten += data.length;
      // Acknowledged in steps, or at once when all is written (a keystroke must not wait for 64 KiB).
      if (this.inputWritten - this.inputAckSent < EXEC_ACK_EVERY_BYTES && s.writableLength > 0) return;
      if (this.inputWritten === this.inputAckSent || this.done) return;
      this.inputAckSent = this.inputWritten;
      this.send({ inputAcked: this.inputWritten });
    });
  }

  stdinEof(): void {
    if (!this.start.stdin) return;
    if (this.stream) this.stream.end();
    else this.earlyEof = true;
  }

  resize(size: { rows: number; cols: number }): void {
    if (!this.start.tty || !this.exec) return;
    this.exec.resize({ h: size.rows, w: size.cols }).catch((err: Error) => this.log.debug({ err: err.message }, 'exec resize failed'));
  }

  /** Kills the process (and what it started) and ends the exec with this reason. */
  cancel(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.pending.length = 0;
    const exec = this.exec;
    void (async () => {
      try {
        if (exec) {
          const pid = (await exec.inspect()).Pid;
          const killed = await killExecTree(pid, this.containerId);
          this.log.info({ pid, killed, reason }, 'exec killed');
        }
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'exec could not be killed');
      }
      this.stream?.destroy();
      this.send({ exited: true, error: reason });
      this.onDone();
    })();
  }

  /** Could not start: says why and ends. */
  fail(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.stream?.destroy();
    this.send({ exited: true, error: reason });
    this.onDone();
  }

  private onEnd(): void {
    if (this.eof) return;
    this.eof = true;
    this.flush();
  }

  private async finish(): Promise<void> {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    let code: number | null = null;
    try {
      for (let i = 0; i < EXIT_POLLS; i++) {
        const info = await this.exec!.inspect();
        if (!info.Running) {
          code = info.ExitCode;
          break;
        }
        await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
      }
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'exec exit code unreadable');
    }
    this.send(code === null ? { exited: true, error: 'exit code unknown' } : { exited: true, exitCode: code });
    this.onDone();
  }
}
