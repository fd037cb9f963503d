import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FrameType, MAX_FRAME_PAYLOAD, parseSize } from './exec-frames.ts';

describe('exec frames', () => {
  it('reassembles frames split at any byte', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameType.Stdout, 'hello'),
      encodeFrame(FrameType.StdinEof),
      encodeFrame(FrameType.Stderr, Buffer.alloc(70_00, 1)),
    ]);
    for (const cut of [1, 3, 5, 6, 12, 4000]) {
      const r = new FrameReader();
      const frames = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
      expect(frames.map((f) => [f.type, f.payload.length])).toEqual([
        [FrameType.Stdout, 5],
        [FrameType.StdinEof, 0],
        [FrameType.Stderr, 7000],
      ]);
      expect(r.pending).toBe(0);
    }
  });

  it('refuses a frame announced over the limit before buffering it', () => {
    const head = Buffer.alloc(5);
    head.writeUInt8(FrameType.Stdin, 0);
    head.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 1);
    expect(() => new FrameReader().push(head)).toThrow(/frame of 65537 bytes is over 65536/);
    expect(() => encodeFrame(FrameType.Stdout, Buffer.alloc(MAX_FRAME_PAYLOAD + 1))).toThrow(RangeError);
  });

  it('refuses an unknown frame type', () => {
    expect(() => new FrameReader().push(Buffer.from([9, 0, 0, 0, 0]))).toThrow(/unknown frame type 9/);
  });

  it('reads a terminal size and names what is wrong with a bad one', () => {
    expect(parseSize('{"rows":24,"cols":80}')).toEqual({ rows: 24, cols: 80 });
    expect(() => parseSize('{"rows":0,"cols":80}')).toThrow(/rows and cols/);
    expect(() => parseSize('{"rows":24,"cols":100000}')).toThrow(/rows and cols/);
    expect(() => parseSize('nope')).toThrow(/not JSON/);
  });
});
