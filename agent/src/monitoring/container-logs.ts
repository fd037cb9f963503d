// Streams one container's logs (docker logs) in answer to the controller's LogsRequest.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface LogsOptions {
  follow: boolean;
  /** Last N lines; 0 = DEFAULT_LOG_TAIL. */
  tail: number;
}

/**
 * Largest payload of one LogChunk. The agent stream carries reports and heartbeats too, and the
 * controller refuses any message over 4 MiB (dropping the stream): no log may come near that.
 */
export const LOG_CHUNK_BYTES = 64 * 1024;
/** Lines sent when the request names none, so a huge log is never read whole by accident. */
export const DEFAULT_LOG_TAIL = 1000;

export function effectiveTail(tail: number): number {
  return tail > 0 ? tail : DEFAULT_LOG_TAIL;
}

/** Pure: the buffer as consecutive slices of at most max bytes (none for an empty buffer). */
export function splitChunks(buf: Buffer, max = LOG_CHUNK_BYTES): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += max) out.push(buf.subarray(off, Math.min(off + max, buf.length)));
  return out;
}

export interface LogSink {
  data(chunk: Buffer): void;
  end(error?: string): void;
}

/**
 * Pure: the payloads of docker's multiplexed log format (8-byte header: stream, 3 zero bytes,
 * big-endian length). Returns the payloads and any incomplete trailing bytes.
 */
export function demuxFrames(buf: Buffer): { payloads: Buffer[]; rest: Buffer } {
  const payloads: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const len = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < len) break;
    payloads.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return { payloads, rest: buf.subarray(off) };
}

/** Starts streaming; returns a cancel function. sink.end is called exactly once. */
export function streamContainerLogs(docker: Docker, containerId: string, opts: LogsOptions, sink: LogSink): () => void {
  let ended = false;
  let cancel = (): void => {};
  const end = (error?: string): void => {
    if (ended) return;
    ended = true;
    sink.end(error);
  };
  void (async () => {
    const container = docker.getContainer(containerId);
    const tty = (await container.inspect()).Config.Tty;
    const base = { stdout: true, stderr: true, tail: effectiveTail(opts.tail) };
    if (!opts.follow) {
      const buf = (await container.logs({ ...base, follow: false })) as unknown as Buffer;
      const data = tty ? buf : Buffer.concat(demuxFrames(Buffer.from(buf)).payloads);
      for (const chunk of splitChunks(data)) sink.data(chunk);
      end();
      return;
    }
    const stream = (await container.logs({ ...base, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    cancel = () => {
      stream.destroy();
      end();
    };
    if (ended) return stream.destroy();
    const out = new PassThrough();
    out.on('data', (d: Buffer) => {
      if (!ended) for (const chunk of splitChunks(d)) sink.data(chunk);
    });
    if (tty) stream.pipe(out);
    else docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => end());
    stream.on('error', (err: Error) => end(err.message));
  })().catch((err: unknown) => end(err instanceof Error ? err.message : String(err)));
  return () => {
    cancel();
    end();
  };
}
