// Tests for the tiny ustar writer/reader.
import { describe, expect, it } from 'vitest';
import { packTar, unpackTar } from './tar.ts';

describe('packTar / unpackTar', () => {
  it('round-trips files with content, mode and nested paths', () => {
    const tar = packTar([
      { path: 'Dockerfile', content: 'FROM busybox:1.36\n' },
      { path: 'bin/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: './empty', content: '' },
    ]);
    expect(tar.length % 512).toBe(0);
    const entries = unpackTar(tar);
    expect(entries.map((e) => [e.path, e.type, e.mode, e.content.toString()])).toEqual([
      ['Dockerfile', 'file', 0o644, 'FROM busybox:1.36\n'],
      ['bin/run.sh', 'file', 0o755, '#!/bin/sh\necho hi\n'],
      ['empty', 'file', 0o644, ''],
    ]);
  });

  it('writes a valid ustar header checksum', () => {
    const h = packTar([{ path: 'a.txt', content: 'x' }]).subarray(0, 512);
    const stored = parseInt(h.subarray(148, 154).toString(), 8);
    const copy = Buffer.from(h);
    copy.fill(' ', 148, 156);
    expect(copy.reduce((s, b) => s + b, 0)).toBe(stored);
    expect(h.subarray(257, 262).toString()).toBe('ustar');
  });

  it('splits long paths into prefix and name', () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file-${'f'.repeat(50)}.txt`;
    const [e] = unpackTar(packTar([{ path: long, content: 'z' }]));
    expect(e?.path).toBe(long);
  });

  it('reads PAX path records', () => {
    // A PAX header ('x') carrying a path, followed by the entry it describes.
    const rec = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len++;
      return `${len}${body}`;
    };
    const pax = packTar([{ path: 'PaxHeaders/x', content: rec('path', 'very/long/name.txt') }]);
    pax[156] = 'x'.charCodeAt(0);
    // Fix the checksum after changing the type flag.
    pax.fill(' ', 148, 156);
    const sum = pax.subarray(0, 512).reduce((s, b) => s + b, 0);
    pax.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    const file = packTar([{ path: 'short', content: 'data' }]);
    const joined = Buffer.concat([pax.subarray(0, pax.length - 1024), file]);
    expect(unpackTar(joined).map((e) => [e.path, e.content.toString()])).toEqual([['very/long/name.txt', 'data']]);
  });

  it('rejects paths that escape the archive root', () => {
    expect(() => packTar([{ path: '../etc/passwd', content: '' }])).toThrow(/bad path/);
  });
});
