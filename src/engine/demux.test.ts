// Tests for Docker's stdout/stderr frame decoding.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DemuxStream, demux, demuxInto, muxFrames } from './demux.ts';

const frames = muxFrames([
  { stream: 1, data: Buffer.from('out1\n') },
  { stream: 2, data: Buffer.from('err1\n') },
  { stream: 1, data: Buffer.from('out2\n') },
]);

/** Everything a readable produced, as text. */
async function text(r: Readable): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out).toString();
}

/** `buf` cut into chunks of `size` bytes. */
function chunked(buf: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return chunks;
}

describe('demux', () => {
  it('splits stdout and stderr and keeps arrival order in combined', () => {
    expect(demux(frames)).toEqual({ stdout: 'out1\nout2\n', stderr: 'err1\n', combined: 'out1\nerr1\nout2\n' });
  });

  it('treats unframed (TTY) output as stdout', () => {
    expect(demux(Buffer.from('plain text output\n')).stdout).toBe('plain text output\n');
  });

  it('decodes frames split across arbitrary chunk boundaries', async () => {
    expect(await text(Readable.from(chunked(frames, 3)).pipe(new DemuxStream()))).toBe('out1\nerr1\nout2\n');
    expect(await text(Readable.from(chunked(frames, 3)).pipe(new DemuxStream(2)))).toBe('err1\n');
  });

  it('decodes 50 000 frames arriving in one chunk (docker-modem demuxStream overflows the stack at ~4 000)', async () => {
    const many = muxFrames(Array.from({ length: 50_000 }, (_, i) => ({ stream: (i % 2) + 1, data: Buffer.from('x') })));
    expect(demux(many).stdout).toBe('x'.repeat(25_000));
    expect(await text(Readable.from([many]).pipe(new DemuxStream()))).toBe('x'.repeat(50_000));
    const [out, err] = [new PassThrough(), new PassThrough()];
    const got = Promise.all([text(out), text(err)]);
    const src = Readable.from([many]);
    demuxInto(src, out, err);
    await new Promise((r) => src.on('end', r));
    out.end();
    err.end();
    expect((await got).map((s) => s.length)).toEqual([25_000, 25_000]);
  });

  it('demuxInto writes stdout and stderr frames to their own writables across chunk boundaries', async () => {
    const [out, err] = [new PassThrough(), new PassThrough()];
    const got = Promise.all([text(out), text(err)]);
    const src = Readable.from(chunked(frames, 5));
    demuxInto(src, out, err);
    await new Promise((r) => src.on('end', r));
    out.end();
    err.end();
    expect(await got).toEqual(['out1\nout2\n', 'err1\n']);
  });
});
