// Pure: the engine's multiplexed stream of a non-TTY exec (8-byte header: stream, 3 zero bytes,
// big-endian length), cut into stdout/stderr payloads as bytes arrive.

export class MuxReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: 1 | 2; data: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { stream: 1 | 2; data: Buffer }[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const len = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off - 8 < len) break;
      const stream = this.buf[off] === 2 ? 2 : 1;
      if (len > 0) out.push({ stream, data: Buffer.from(this.buf.subarray(off + 8, off + 8 + len)) });
      off += 8 + len;
    }
    this.buf = this.buf.subarray(off);
    return out;
  }
}
