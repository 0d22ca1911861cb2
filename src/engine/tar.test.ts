// Tests for the tar writer/reader (tar-stream underneath): round trips, the ustar header, long
// paths, PAX records written by another tool, and the path checks that are ours.
import { describe, expect, it } from 'vitest';
import { packTar, unpackTar } from './tar.ts';

describe('packTar / unpackTar', () => {
  it('round-trips files with content, mode and nested paths', async () => {
    const tar = await packTar([
      { path: 'Dockerfile', content: 'FROM busybox:1.36\n' },
      { path: 'bin/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: './empty', content: '' },
    ]);
    expect(tar.length % 512).toBe(0);
    const entries = await unpackTar(tar);
    expect(entries.map((e) => [e.path, e.type, e.mode, e.content.toString()])).toEqual([
      ['Dockerfile', 'file', 0o644, 'FROM busybox:1.36\n'],
      ['bin/run.sh', 'file', 0o755, '#!/bin/sh\necho hi\n'],
      ['empty', 'file', 0o644, ''],
    ]);
  });

  it('writes directory entries with their mode, owned by root, with mtime 0 unless given', async () => {
    const tar = await packTar([
      { path: 'state', content: '', type: 'dir', mode: 0o700 },
      { path: 'state/a.json', content: '{}', mtime: 1_700_000_000 },
    ]);
    const [dir, file] = await unpackTar(tar);
    expect([dir?.path, dir?.type, dir?.mode]).toEqual(['state/', 'dir', 0o700]);
    expect(file?.path).toBe('state/a.json');
    expect([parseInt(tar.subarray(108, 116).toString(), 8), parseInt(tar.subarray(116, 124).toString(), 8)]).toEqual([0, 0]); // uid, gid
    expect(tar.subarray(265, 269).toString()).toBe('root');
    expect(parseInt(tar.subarray(136, 148).toString(), 8)).toBe(0);
    expect(parseInt(tar.subarray(512 + 136, 512 + 148).toString(), 8)).toBe(1_700_000_000);
  });

  it('writes a valid ustar header checksum', async () => {
    const h = (await packTar([{ path: 'a.txt', content: 'x' }])).subarray(0, 512);
    const stored = parseInt(h.subarray(148, 154).toString(), 8);
    const copy = Buffer.from(h);
    copy.fill(' ', 148, 156);
    expect(copy.reduce((s, b) => s + b, 0)).toBe(stored);
    expect(h.subarray(257, 262).toString()).toBe('ustar');
  });

  it('round-trips long paths', async () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file-${'f'.repeat(50)}.txt`;
    const longer = `${'g'.repeat(120)}/${'h'.repeat(120)}/${'i'.repeat(120)}.txt`;
    const entries = await unpackTar(
      await packTar([
        { path: long, content: 'z' },
        { path: longer, content: 'y' },
      ]),
    );
    expect(entries.map((e) => [e.path, e.content.toString()])).toEqual([
      [long, 'z'],
      [longer, 'y'],
    ]);
  });

  it('reads PAX path records', async () => {
    // A PAX header ('x') carrying a path, followed by the entry it describes.
    const rec = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len++;
      return `${len}${body}`;
    };
    const pax = await packTar([{ path: 'PaxHeaders/x', content: rec('path', 'very/long/name.txt') }]);
    pax[156] = 'x'.charCodeAt(0);
    // Fix the checksum after changing the type flag.
    pax.fill(' ', 148, 156);
    const sum = pax.subarray(0, 512).reduce((s, b) => s + b, 0);
    pax.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    const file = await packTar([{ path: 'short', content: 'data' }]);
    const joined = Buffer.concat([pax.subarray(0, pax.length - 1024), file]);
    expect((await unpackTar(joined)).map((e) => [e.path, e.content.toString()])).toEqual([['very/long/name.txt', 'data']]);
  });

  it('rejects paths that escape the archive root, and empty ones', async () => {
    await expect(packTar([{ path: '../etc/passwd', content: '' }])).rejects.toThrow(/bad path/);
    await expect(packTar([{ path: 'a/../../b', content: '' }])).rejects.toThrow(/bad path/);
    await expect(packTar([{ path: './', content: '' }])).rejects.toThrow(/bad path/);
  });

  it('rejects a damaged archive', async () => {
    const tar = await packTar([{ path: 'a.txt', content: 'x' }]);
    tar[148] = '9'.charCodeAt(0); // checksum no longer matches
    await expect(unpackTar(tar)).rejects.toThrow();
  });
});
