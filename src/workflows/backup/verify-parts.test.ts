import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { ServerRun } from '../server-run.ts';
import { pgMajor, pickPostgresImage } from './throwaway-postgres.ts';
import { DumpToResp, RESTORE_LUA } from './throwaway-redis.ts';
import { isLeftover } from './throwaway.ts';
import { compareFiles, filesOfTar } from './verify-volume.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('Redis dump lines → RESP', () => {
  it('one EVAL per line with the key and payload as binary bulk strings; lines are counted', async () => {
    const key = Buffer.from('k\n\u00e9');
    const payload = Buffer.from([0, 1, 2, 255]);
    const t = new DumpToResp('db 1');
    const out = Buffer.concat(
      await Readable.from([`${key.toString('hex')} -1 ${payload.toString('hex')}\n`, `61 5`, `00 0101\n`])
        .pipe(t)
        .toArray(),
    );
    const lua = Buffer.from(RESTORE_LUA);
    const one = (k: Buffer, p: Buffer) =>
      Buffer.concat([
        Buffer.from(`*5\r\n$4\r\nEVAL\r\n$${lua.length}\r\n`),
        lua,
        Buffer.from(`\r\n$1\r\n1\r\n$${k.length}\r\n`),
        k,
        Buffer.from(`\r\n$${p.length}\r\n`),
        p,
        Buffer.from('\r\n'),
      ]);
    expect(out.equals(Buffer.concat([one(key, payload), one(Buffer.from('a'), Buffer.from([0x01, 0x01]))]))).toBe(true);
    expect(t.lines).toBe(2);
  });

  it('a malformed line fails the stream naming its number', async () => {
    const t = new DumpToResp('redis db 3');
    await expect(Readable.from(['61 -1 00\n', 'zz -1 00\n']).pipe(t).toArray()).rejects.toThrow(
      'redis db 3: line 2 of the Redis dump is not "hex(key) pttl hex(payload)"',
    );
  });
});

describe('volume files', () => {
  it('lists the files of an engine-style tar (root data/) with sizes and sha256, and names each difference', async () => {
    const p = tarPack();
    p.entry({ name: 'data/', type: 'directory' });
    p.entry({ name: 'data/uploads/Übersicht.txt' }, 'Grüße');
    p.entry({ name: 'data/a.bin' }, Buffer.alloc(70_000, 7));
    p.finalize();
    const files = await filesOfTar(p as unknown as Readable);
    expect(files).toEqual([
      { path: 'a.bin', size: 70_000, sha256: sha(Buffer.alloc(70_000, 7)) },
      { path: 'uploads/Übersicht.txt', size: 7, sha256: sha('Grüße') },
    ]);
    expect(compareFiles(files, files)).toEqual([]);
    const expected = [
      { ...files[0]!, sha256: sha('other') },
      { ...files[1]!, size: 8 },
      { path: 'gone.txt', size: 1, sha256: sha('x') },
    ];
    expect(compareFiles(expected, [...files, { path: 'new.txt', size: 1, sha256: sha('y') }])).toEqual([
      `file a.bin: content differs (sha256 ${sha(Buffer.alloc(70_000, 7)).slice(0, 12)}…, expected ${sha('other').slice(0, 12)}…)`,
      'file uploads/Übersicht.txt: 7 bytes, expected 8',
      'file gone.txt: missing',
      'file new.txt: not in the manifest',
    ]);
  });
});

describe('throwaway leftovers', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const labels = (host: string, pid: number, since: string) => ({
    'slipway.throwaway.host': host,
    'slipway.throwaway.pid': String(pid),
    'slipway.throwaway.since': since,
  });
  it('left over when its owner ran here and is gone, or when older than a day; a live owner’s are kept', () => {
    expect(isLeftover(labels(hostname(), 42, '2026-01-01T11:00:00Z'), now, () => false)).toBe(true);
    expect(isLeftover(labels(hostname(), 42, '2026-01-01T11:00:00Z'), now, () => true)).toBe(false);
    expect(isLeftover(labels('elsewhere', 42, '2026-01-01T11:00:00Z'), now, () => false)).toBe(false);
    expect(isLeftover(labels('elsewhere', 42, '2025-12-30T11:00:00Z'), now, () => true)).toBe(true);
    expect(isLeftover({}, now, () => true)).toBe(true);
  });
});

describe('the Postgres image a dump is restored into', () => {
  const runWith = (images: string[], services: string[] = []) =>
    ({
      state: { containers: services.map((image) => ({ role: 'service', image })) },
      conn: { server: { name: 'vps1' }, engine: { imageInspect: async (ref: string) => (images.includes(ref) ? { id: ref, tags: [ref], labels: {} } : null) } },
    }) as unknown as ServerRun;

  it('the same major: the manifest’s own image, else postgres:{major}, else a service image of that major; never another major', async () => {
    expect(pgMajor(150008)).toBe(15);
    expect(pgMajor(170002)).toBe(17);
    expect(await pickPostgresImage(runWith(['postgres:15', 'postgres:17']), 'postgres:15', 15)).toBe('postgres:15');
    expect(await pickPostgresImage(runWith(['postgres:17']), 'postgres:17.2-bookworm', 17)).toBe('postgres:17');
    expect(await pickPostgresImage(runWith(['acme/pg:17-postgis'], ['acme/pg:17-postgis']), 'postgres:17.2', 17)).toBe('acme/pg:17-postgis');
    expect(await pickPostgresImage(runWith(['acme/pg']), 'acme/pg', 15)).toBe('acme/pg');
    const e = await pickPostgresImage(runWith(['postgres:15'], ['postgres:15']), 'postgres:17', 17).catch((x: unknown) => x as Error & { hint?: string });
    expect((e as Error).message).toBe('no Postgres 17 image on vps1 to restore the dump into (tried postgres:17)');
    expect((e as { hint?: string }).hint).toMatch(/postgres:17/);
  });
});
