// Docker's stdout/stderr stream framing (non-TTY attach, logs and exec): each frame is an 8-byte
// header [stream, 0, 0, 0, size(4, big-endian)] followed by `size` bytes. Decoders here, for a
// whole buffer, as a streaming Transform, and into two writables. Kept rather than docker-modem's
// demuxStream, which recurses once per frame (a chunk of ~4 000 frames overflows the stack) and
// copies the rest of its buffer per frame: see docs/decisions.md.
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';

export interface Frame {
  /** 1 = stdout, 2 = stderr (0 = stdin, never seen in output). */
  stream: number;
  data: Buffer;
}

/** Encode frames (used by the fake engine and tests). */
export function muxFrames(frames: readonly Frame[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const h = Buffer.alloc(8);
    h[0] = f.stream;
    h.writeUInt32BE(f.data.length, 4);
    parts.push(h, f.data);
  }
  return Buffer.concat(parts);
}

/**
 * Parse as many complete frames as `buf` holds; returns them and the unconsumed remainder.
 * A buffer that does not start with a valid header is treated as raw (TTY) output on stdout.
 */
export function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const type = buf[off]!;
    if (type > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
      frames.push({ stream: 1, data: buf.subarray(off) });
      return { frames, rest: Buffer.alloc(0) };
    }
    const size = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < size) break;
    frames.push({ stream: type, data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  return { frames, rest: buf.subarray(off) };
}

/** Demultiplex a complete buffer into stdout, stderr and both interleaved in arrival order. */
export function demux(buf: Buffer): { stdout: string; stderr: string; combined: string } {
  const { frames, rest } = parseFrames(buf);
  if (rest.length) frames.push({ stream: 1, data: rest });
  const pick = (s: number) => Buffer.concat(frames.filter((f) => f.stream === s).map((f) => f.data)).toString('utf8');
  return { stdout: pick(1), stderr: pick(2), combined: Buffer.concat(frames.map((f) => f.data)).toString('utf8') };
}

/** A Transform that turns a framed stream into the raw bytes of every frame (stdout+stderr). */
export class DemuxStream extends Transform {
  #pending: Buffer = Buffer.alloc(0);
  constructor(private readonly only?: 1 | 2) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { frames, rest } = parseFrames(Buffer.concat([this.#pending, chunk]));
    this.#pending = Buffer.from(rest);
    for (const f of frames) if (!this.only || f.stream === this.only) this.push(f.data);
    cb();
  }
  override _flush(cb: TransformCallback): void {
    if (this.#pending.length) this.push(this.#pending);
    cb();
  }
}

/**
 * Writes the frames of `src` to `stdout` and `stderr` as they arrive (what docker-modem's
 * demuxStream does, without its stack limit). Neither writable is ended: the caller ends them
 * once `src` has ended.
 */
export function demuxInto(src: Readable, stdout: Writable, stderr: Writable): void {
  let pending: Buffer = Buffer.alloc(0);
  src.on('data', (chunk: Buffer) => {
    const { frames, rest } = parseFrames(pending.length ? Buffer.concat([pending, chunk]) : chunk);
    pending = Buffer.from(rest);
    for (const f of frames) (f.stream === 2 ? stderr : stdout).write(f.data);
  });
}
