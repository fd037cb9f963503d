// The byte protocol of `berth exec` between the CLI and the controller, after the HTTP/1.1
// upgrade to `berth-exec.v1`: frames of a 1-byte type, a 4-byte big-endian length and the payload.
// Pure, shared by the API route and the CLI.
import { BerthError } from '../errors/index.ts';

export const EXEC_PROTOCOL = 'berth-exec.v1';

export const FrameType = {
  /** client -> server: bytes for the command's stdin. */
  Stdin: 0,
  /** server -> client: the command's stdout (everything, with a TTY). */
  Stdout: 1,
  /** server -> client: the command's stderr. */
  Stderr: 2,
  /** client -> server: JSON `{ rows, cols }`, the terminal's new size. */
  Resize: 3,
  /** client -> server: no more stdin. */
  StdinEof: 4,
  /** server -> client, last frame: JSON ExecEnd. */
  Exit: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

/** How an exec ended, as the last frame says. */
export type ExecEnd =
  | { exitCode: number }
  /** A time limit ended it; the process was killed. */
  | { limit: 'timeout' | 'idle'; message: string }
  /** It could not start or was cut off (node lost, shutdown, protocol breach). */
  | { error: { code: string; message: string } };

const HEADER = 5;
/** Largest payload a frame may carry in either direction (the CLI sends stdin in 32 KiB pieces). */
export const MAX_FRAME_PAYLOAD = 64 * 1024;

export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > MAX_FRAME_PAYLOAD) throw new RangeError(`exec frame of ${body.length} bytes is over ${MAX_FRAME_PAYLOAD}`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

const TYPES = new Set<number>(Object.values(FrameType));

/** Reassembles frames from socket reads; a frame over the limit or of no known type is an error. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER) {
      const type = this.buf.readUInt8(off);
      const len = this.buf.readUInt32BE(off + 1);
      if (!TYPES.has(type)) throw new BerthError('Invalid', `exec stream: unknown frame type ${type}`);
      if (len > MAX_FRAME_PAYLOAD) throw new BerthError('PayloadTooLarge', `exec stream: frame of ${len} bytes is over ${MAX_FRAME_PAYLOAD}`);
      if (this.buf.length - off - HEADER < len) break;
      frames.push({ type: type as FrameType, payload: Buffer.from(this.buf.subarray(off + HEADER, off + HEADER + len)) });
      off += HEADER + len;
    }
    this.buf = this.buf.subarray(off);
    return frames;
  }

  /** Bytes of an incomplete frame held back (bounded by one frame). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Pure: a resize frame's payload, or an error naming what is wrong. */
export function parseSize(payload: Buffer | string): { rows: number; cols: number } {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString());
  } catch {
    throw new BerthError('Invalid', 'exec stream: resize frame is not JSON');
  }
  const { rows, cols } = (v ?? {}) as { rows?: unknown; cols?: unknown };
  if (!isDimension(rows) || !isDimension(cols)) throw new BerthError('Invalid', 'exec stream: resize needs rows and cols, whole numbers from 1 to 1000');
  return { rows, cols };
}

export const isDimension = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1000;
