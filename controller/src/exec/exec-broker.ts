// Relays execs between clients (the API's upgraded connections) and agents (over the node's
// stream), with flow control both ways and the time limits. Holds at most a window of output and
// of input per exec, whatever the command or the client does.
import { randomUUID } from 'node:crypto';
import { EXEC_ACK_EVERY_BYTES, EXEC_CHUNK_BYTES, EXEC_MAX_PER_NODE, EXEC_WINDOW_BYTES, type ExecOutput, type ExecRequestIn } from '@berth/proto';
import { BerthError } from '../errors/index.ts';
import { formatDurationMs } from '../manifests/index.ts';
import type { ExecEnd } from './exec-frames.ts';
import { DEFAULT_EXEC_LIMITS, type ExecLimits, type ExecParams } from './exec-params.ts';

/** Resizes reach the node at most this often (each is an engine call there); the last one wins. */
export const EXEC_RESIZE_MIN_MS = 100;

/** Concurrent execs of one user, across all their reservations. */
export const EXEC_MAX_PER_USER = 4;

export interface ExecTransport {
  /** Sends on the node's stream; false when the node is not connected. */
  sendExec(nodeId: string, request: ExecRequestIn): boolean;
}

export interface ExecClient {
  /** Output for the client; delivered() once it has been handed to the client's connection. */
  output(stream: 'stdout' | 'stderr', data: Buffer, delivered: () => void): void;
  /** There is room for stdin again, after stdin() returned false. */
  resume(): void;
  /** Called exactly once, last. */
  end(how: ExecEnd): void;
}

export interface ExecHandle {
  readonly id: string;
  /** Relays stdin; false when the window is full: read no more until the client's resume(). */
  stdin(data: Buffer): boolean;
  stdinEof(): void;
  resize(size: { rows: number; cols: number }): void;
  /** The client went away or broke the protocol: the process is killed. */
  cancel(reason: string): void;
}

interface Entry {
  id: string;
  nodeId: string;
  userId: string;
  client: ExecClient;
  received: number;
  delivered: number;
  ackSent: number;
  stdinSent: number;
  stdinAcked: number;
  paused: boolean;
  resizeAt: number;
  resizeTimer?: NodeJS.Timeout;
  nextSize?: { rows: number; cols: number };
  idle?: NodeJS.Timeout;
  total?: NodeJS.Timeout;
}

export class ExecBroker {
  private readonly open = new Map<string, Entry>();

  constructor(
    private readonly transport: ExecTransport,
    readonly limits: ExecLimits = DEFAULT_EXEC_LIMITS,
  ) {}

  /** Starts the command on the node; throws TooManyRequests or Unavailable before anything runs. */
  start(target: { nodeId: string; reservationId: string; userId: string }, params: ExecParams, client: ExecClient): ExecHandle {
    const entries = [...this.open.values()];
    if (entries.filter((e) => e.userId === target.userId).length >= EXEC_MAX_PER_USER)
      throw new BerthError('TooManyRequests', `at most ${EXEC_MAX_PER_USER} execs at once per user: end one first`);
    if (entries.filter((e) => e.nodeId === target.nodeId).length >= EXEC_MAX_PER_NODE)
      throw new BerthError('TooManyRequests', 'too many execs on the node of this reservation: try again later');
    const e: Entry = {
      id: randomUUID(),
      nodeId: target.nodeId,
      userId: target.userId,
      client,
      received: 0,
      delivered: 0,
      ackSent: 0,
      stdinSent: 0,
      stdinAcked: 0,
      paused: false,
      resizeAt: 0,
    };
    const start = {
      reservationId: target.reservationId,
      command: params.command,
      tty: params.tty,
      stdin: params.stdin,
      size: params.size ?? null,
      timeoutMs: params.timeoutMs,
    };
    if (!this.transport.sendExec(target.nodeId, { execId: e.id, start }))
      throw new BerthError('Unavailable', 'the node of this reservation is not connected: try again later');
    this.open.set(e.id, e);
    e.total = setTimeout(() => this.limit(e, 'timeout', `exec ended: it ran for its time limit of ${formatDurationMs(params.timeoutMs)}`), params.timeoutMs);
    this.touch(e);
    return this.handle(e);
  }

  private handle(e: Entry): ExecHandle {
    const live = () => this.open.get(e.id) === e;
    return {
      id: e.id,
      stdin: (data) => {
        if (!live()) return true;
        for (let off = 0; off < data.length; off += EXEC_CHUNK_BYTES) {
          const piece = data.subarray(off, off + EXEC_CHUNK_BYTES);
          this.transport.sendExec(e.nodeId, { execId: e.id, stdin: piece });
          e.stdinSent += piece.length;
        }
        this.touch(e);
        e.paused = e.stdinSent - e.stdinAcked >= EXEC_WINDOW_BYTES;
        return !e.paused;
      },
      stdinEof: () => {
        if (live()) this.transport.sendExec(e.nodeId, { execId: e.id, stdinEof: true });
      },
      resize: (size) => {
        if (!live()) return;
        e.nextSize = size;
        const send = () => {
          e.resizeTimer = undefined;
          if (!live() || !e.nextSize) return;
          this.transport.sendExec(e.nodeId, { execId: e.id, resize: e.nextSize });
          e.nextSize = undefined;
          e.resizeAt = Date.now();
        };
        const wait = e.resizeAt + EXEC_RESIZE_MIN_MS - Date.now();
        if (wait <= 0) send();
        else e.resizeTimer ??= setTimeout(send, wait);
      },
      cancel: (reason) => {
        if (!live()) return;
        this.transport.sendExec(e.nodeId, { execId: e.id, cancel: true, cancelReason: reason });
        this.finish(e, { error: { code: 'Unavailable', message: reason } });
      },
    };
  }

  /** An ExecOutput from a node's stream; anything about an exec the node was not asked for is dropped. */
  onOutput(nodeId: string, out: ExecOutput): void {
    const e = this.open.get(out.execId);
    if (!e || e.nodeId !== nodeId) return;
    if (out.inputAcked > e.stdinAcked) {
      e.stdinAcked = Math.min(out.inputAcked, e.stdinSent);
      if (e.paused && e.stdinSent - e.stdinAcked < EXEC_WINDOW_BYTES) {
        e.paused = false;
        e.client.resume();
      }
    }
    const data = out.data ?? Buffer.alloc(0);
    if (data.length > 0) {
      // The agent may have at most a window (plus the chunk that crossed it) unacknowledged.
      if (data.length > EXEC_CHUNK_BYTES || e.received + data.length - e.ackSent > EXEC_WINDOW_BYTES + EXEC_CHUNK_BYTES) {
        this.transport.sendExec(nodeId, { execId: e.id, cancel: true, cancelReason: 'flow control violated' });
        this.finish(e, { error: { code: 'Internal', message: 'the node sent more output than allowed: exec ended' } });
        return;
      }
      e.received += data.length;
      this.touch(e);
      e.client.output(out.stream === 2 ? 'stderr' : 'stdout', Buffer.from(data), () => this.delivered(e, data.length));
    }
    if (out.exited)
      this.finish(e, out.error ? { error: { code: 'Unavailable', message: `exec failed on the node: ${out.error}` } } : { exitCode: out.exitCode });
  }

  private delivered(e: Entry, n: number): void {
    e.delivered += n;
    if (this.open.get(e.id) !== e || e.delivered - e.ackSent < EXEC_ACK_EVERY_BYTES) return;
    e.ackSent = e.delivered;
    this.transport.sendExec(e.nodeId, { execId: e.id, outputAcked: e.delivered });
  }

  /** The node's stream closed: its execs can never finish. */
  nodeLost(nodeId: string): void {
    for (const e of [...this.open.values()])
      if (e.nodeId === nodeId) this.finish(e, { error: { code: 'Unavailable', message: 'the node disconnected: exec ended' } });
  }

  /** Shutdown: every exec is ended and its process killed. */
  closeAll(reason: string): void {
    for (const e of [...this.open.values()]) {
      this.transport.sendExec(e.nodeId, { execId: e.id, cancel: true, cancelReason: reason });
      this.finish(e, { error: { code: 'Unavailable', message: reason } });
    }
  }

  get size(): number {
    return this.open.size;
  }

  private touch(e: Entry): void {
    clearTimeout(e.idle);
    const ms = this.limits.idleTimeoutMs;
    e.idle = setTimeout(() => this.limit(e, 'idle', `exec ended: no input or output for ${formatDurationMs(ms)} (the idle limit)`), ms);
  }

  private limit(e: Entry, limit: 'timeout' | 'idle', message: string): void {
    if (this.open.get(e.id) !== e) return;
    this.transport.sendExec(e.nodeId, { execId: e.id, cancel: true, cancelReason: message });
    this.finish(e, { limit, message });
  }

  private finish(e: Entry, how: ExecEnd): void {
    if (this.open.get(e.id) !== e) return;
    this.open.delete(e.id);
    clearTimeout(e.idle);
    clearTimeout(e.total);
    clearTimeout(e.resizeTimer);
    e.client.end(how);
  }
}
