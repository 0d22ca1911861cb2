// Tests for Docker's stdout/stderr frame decoding.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DemuxStream, demux, muxFrames } from './demux.ts';

const frames = muxFrames([
  { stream: 1, data: Buffer.from('out1\n') },
  { stream: 2, data: Buffer.from('err1\n') },
  { stream: 1, data: Buffer.from('out2\n') },
]);

describe('demux', () => {
  it('splits stdout and stderr and keeps arrival order in combined', () => {
    expect(demux(frames)).toEqual({ stdout: 'out1\nout2\n', stderr: 'err1\n', combined: 'out1\nerr1\nout2\n' });
  });

  it('treats unframed (TTY) output as stdout', () => {
    expect(demux(Buffer.from('plain text output\n')).stdout).toBe('plain text output\n');
  });

  it('decodes frames split across arbitrary chunk boundaries', async () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < frames.length; i += 3) chunks.push(frames.subarray(i, i + 3));
    const out: Buffer[] = [];
    for await (const c of Readable.from(chunks).pipe(new DemuxStream())) out.push(c as Buffer);
    expect(Buffer.concat(out).toString()).toBe('out1\nerr1\nout2\n');
  });
});
