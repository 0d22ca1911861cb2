import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DumpToRestore, resp } from './restore-redis.ts';

async function convert(db: number, chunks: string[]): Promise<{ out: Buffer; conv: DumpToRestore }> {
  const conv = new DumpToRestore(db);
  Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))).pipe(conv);
  return { out: Buffer.concat(await conv.toArray()), conv };
}

const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');

describe('DumpToRestore', () => {
  it('selects the DB, flushes it, then restores each key with its TTL (none: 0), binary-safe, across chunk boundaries', async () => {
    const key = Buffer.from([0x00, 0x0d, 0x0a, 0xff]);
    const lines = `${hex('a')} -1 ${hex('p1')}\n${hex(key)} 5000 ${hex(Buffer.from([1, 2, 13, 10]))}\n${hex('gone')} -2 ${hex('p3')}\n`;
    const { out, conv } = await convert(7, [lines.slice(0, 5), lines.slice(5, 30), lines.slice(30)]);
    expect(out).toEqual(
      Buffer.concat([
        resp(['SELECT', '7']),
        resp(['FLUSHDB']),
        resp(['RESTORE', Buffer.from('a'), '0', Buffer.from('p1'), 'REPLACE']),
        resp(['RESTORE', key, '5000', Buffer.from([1, 2, 13, 10]), 'REPLACE']),
      ]),
    );
    expect([conv.keys, conv.shortTtl]).toEqual([2, 1]);
  });

  it('an empty dump empties the DB', async () => {
    expect((await convert(0, [])).out).toEqual(Buffer.concat([resp(['SELECT', '0']), resp(['FLUSHDB'])]));
  });

  it('a line that is not the dump format fails the stream, naming it', async () => {
    await expect(convert(1, ['not a dump line at all\n'])).rejects.toThrow(/not a slipway-redis-dump\/1 line: not a dump/);
  });

  it('RESP frames each argument with its byte length', () => {
    expect(resp(['SET', 'k', 'ü']).toString('latin1')).toBe(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n').toString('latin1'));
  });
});
