// Routes container-log requests to agents and their chunks back to the HTTP response that asked.
import { randomUUID } from 'node:crypto';
import type { LogChunk, LogsRequest } from '@berth/proto';

export interface LogTransport {
  requestLogs(nodeId: string, request: LogsRequest): boolean;
}

export interface LogSink {
  data(chunk: Buffer): void;
  end(error?: string): void;
}

export class LogBroker {
  private readonly open = new Map<string, { nodeId: string; sink: LogSink }>();

  constructor(private readonly transport: LogTransport) {}

  /** Returns a cancel function, or undefined when the node is not connected. */
  stream(nodeId: string, reservationId: string, opts: { follow: boolean; tail: number }, sink: LogSink): (() => void) | undefined {
    const requestId = randomUUID();
    this.open.set(requestId, { nodeId, sink });
    if (!this.transport.requestLogs(nodeId, { requestId, reservationId, follow: opts.follow, tail: opts.tail })) {
      this.open.delete(requestId);
      return undefined;
    }
    return () => {
      if (!this.open.delete(requestId)) return;
      this.transport.requestLogs(nodeId, { requestId, reservationId, follow: false, tail: 0, cancel: true });
    };
  }

  /** Feed from the agent hub. */
  onChunk(nodeId: string, chunk: LogChunk): void {
    const entry = this.open.get(chunk.requestId);
    if (!entry || entry.nodeId !== nodeId) return;
    if (chunk.data && chunk.data.length) entry.sink.data(Buffer.from(chunk.data));
    if (chunk.eof) {
      this.open.delete(chunk.requestId);
      entry.sink.end(chunk.error || undefined);
    }
  }

  /** The node's stream dropped: its log requests can never finish. */
  nodeLost(nodeId: string): void {
    for (const [id, e] of this.open) {
      if (e.nodeId !== nodeId) continue;
      this.open.delete(id);
      e.sink.end('node disconnected');
    }
  }
}
