// The backup workflow against recording fakes: FakeEngines (pg_dump and the snapshot's psql
// session scripted) and in-memory destinations. Honest status: ok only when every destination
// holds every object as sent; a failed or corrupting destination turns the backup partial, is
// named, and the other copies (manifest last) are kept; leftovers of a killed run are removed;
// prune keeps the newest verified backup and stays inside the environment's prefix.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fakeWorld, type FakeWorld, upAll } from '../../../test/support/fake-session.ts';
import { parseManifest } from '../../backup/manifest.ts';
import type { BackupRecord } from '../../backup/record.ts';
import { superuserSecret } from '../../model/names.ts';
import { Secret } from '../../util/secret.ts';
import { MemoryDestination } from './destinations/memory.ts';
import type { DestinationOpener } from './destinations/open.ts';
import { listBackups } from './list.ts';
import { pruneBackups } from './prune.ts';
import { BackupIncompleteError, runBackup } from './run-backup.ts';

const R = 'age1aqxqm5ynyem8eec0vfkhugpsp7d3dcpvqxqmegz7923sxmhatplqsv9twj';
const FLEET = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  prod: { server: s1, tls: "off", backup: { to: { a: { daily: 7 }, b: { last: 1 } } } }
  staging: { server: s1, tls: "off", backup: { to: [a] } }
backups:
  recipients: [${R}]
  what: [postgres]
  destinations:
    a: { sftp: { host: root@192.0.2.9, path: /a } }
    b: { sftp: { host: root@192.0.2.9, path: /b } }
services:
  postgres: { image: postgres:15, scope: server, memory: 256MiB }
apps:
  web:
    image: acme/web:v1
    uses: [postgres]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

const TABLES = [{ kind: 'table', schema: 'public', name: 'orders', rows: 3, checksum: '1:2' }];

async function world(): Promise<{ w: FakeWorld; dests: Map<string, MemoryDestination>; opener: DestinationOpener; dump: { bytes: Buffer; exitCode: number } }> {
  const w = await fakeWorld(FLEET, { images: ['caddy:2', 'postgres:15', 'acme/web:v1'] });
  await upAll(w);
  await w.run('s1').store.setSecret(superuserSecret('postgres'), new Secret('superuser-password-0123'));
  const dump = { bytes: randomBytes(300_000), exitCode: 0 };
  const e = w.engine('s1');
  e.onStreaming('acme-slipway-backup-snapshot', async ({ stdin, stderr }) => {
    let text = '';
    for await (const c of stdin!) {
      text += String(c);
      if (text.includes('\\warn SLIPWAY-SNAPSHOT') && !text.includes('SNAP-SENT')) {
        text += 'SNAP-SENT';
        stderr('SLIPWAY-SNAPSHOT 00000003-0000001B-1\n');
      }
    }
    expect(text).toContain('COMMIT;');
    return { stdout: `{"version" : "15.8", "num" : 150008}\n${JSON.stringify(TABLES)}\n` };
  });
  e.onStreaming('acme-slipway-backup-dump', () => ({
    stdout: dump.bytes,
    exitCode: dump.exitCode,
    stderr: dump.exitCode ? 'pg_dump: error: connection lost' : '',
  }));
  const dests = new Map(['a', 'b'].map((n) => [n, new MemoryDestination(n)]));
  const opener: DestinationOpener = async (_run, _env, d) => dests.get(d.name)!;
  return { w, dests, opener, dump };
}

const ids = (d: MemoryDestination, env: string) => [...new Set([...d.objects.keys()].filter((k) => k.startsWith(`acme/${env}/`)).map((k) => k.split('/')[2]!))];

describe('backup workflow', () => {
  it('ok: every object in every destination, stat-checked, manifest last; the dump read the exported snapshot', async () => {
    const { w, dests, opener } = await world();
    const r = await runBackup(w.session, { env: 'prod', opener });
    expect(r.record.status).toBe('ok');
    expect(r.record.destinations.map((d) => [d.name, d.status, d.objects])).toEqual([
      ['a', 'ok', 1],
      ['b', 'ok', 1],
    ]);
    for (const d of dests.values()) {
      const puts = d.calls.filter((c) => c.op === 'put').map((c) => c.key.split('/').slice(3).join('/'));
      expect(puts).toEqual(['postgres/postgres/web_prod.pgdump.age', 'manifest.json']);
      // stat after each put
      expect(d.calls.map((c) => c.op).filter((o) => o !== 'list')).toEqual(['put', 'stat', 'put', 'stat']);
      const m = parseManifest(d.objects.get(`acme/prod/${r.record.id}/manifest.json`)!.toString(), 'test');
      expect(m.objects[0]).toMatchObject({
        kind: 'postgres',
        plainSize: 300_000,
        postgres: { serverVersionNum: 150008, snapshot: '00000003-0000001B-1', tables: TABLES, owner: 'web_prod' },
      });
      expect(d.objects.get(`acme/prod/${r.record.id}/postgres/postgres/web_prod.pgdump.age`)!.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    }
    const dump = w.engine('s1').transcript.find((t) => t.op === 'runStreaming' && (t.args[0] as { name: string }).name.includes('backup-dump'))!;
    expect((dump.args[0] as { cmd: string[] }).cmd).toEqual([
      '-Fc',
      '--snapshot=00000003-0000001B-1',
      '-h',
      'postgres',
      '-p',
      '5432',
      '-U',
      'postgres',
      '-d',
      'web_prod',
    ]);
    expect(JSON.stringify(w.engine('s1').transcript)).not.toContain('superuser-password-0123');
    const rows = await listBackups(w.session, { env: 'prod', now: w.clock.t });
    expect(rows.map((x) => [x.status, x.complete])).toEqual([['ok', ['a', 'b']]]);
  });

  it('a destination that fails mid-upload: partial, named, the other copy kept with its manifest', async () => {
    const { w, dests, opener } = await world();
    dests.get('b')!.failPuts = /pgdump/;
    dests.get('b')!.failAfterBytes = 64 * 1024;
    const e = (await runBackup(w.session, { env: 'prod', opener }).catch((x: unknown) => x)) as BackupIncompleteError;
    expect(e).toBeInstanceOf(BackupIncompleteError);
    expect(e.message).toMatch(/^backup \S+ of prod is partial: b failed \(b: connection reset while writing .*\); the copies in a are complete and kept$/);
    expect(e.result.record.status).toBe('partial');
    const id = e.result.record.id;
    expect(dests.get('a')!.objects.has(`acme/prod/${id}/manifest.json`)).toBe(true);
    expect([...dests.get('b')!.objects.keys()]).toEqual([]);
    const rows = await listBackups(w.session, { env: 'prod', now: w.clock.t });
    expect(rows.map((x) => x.status)).toEqual(['partial']);
  });

  it('a destination whose copy differs from what was sent is caught by the stat check', async () => {
    const { w, dests, opener } = await world();
    dests.get('a')!.corruptPuts = /pgdump/;
    const e = (await runBackup(w.session, { env: 'prod', opener }).catch((x: unknown) => x)) as BackupIncompleteError;
    expect(e.result.record.destinations.find((d) => d.name === 'a')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/differs after its upload/),
    });
    expect(dests.get('a')!.objects.has(`acme/prod/${e.result.record.id}/manifest.json`)).toBe(false);
  });

  it('pg_dump failing: failed, nothing left in any destination, never listed ok', async () => {
    const { w, dests, opener, dump } = await world();
    dump.exitCode = 1;
    const e = (await runBackup(w.session, { env: 'prod', opener }).catch((x: unknown) => x)) as BackupIncompleteError;
    expect(e.result.record.status).toBe('failed');
    expect(e.message).toMatch(/failed: postgres web_prod: pg_dump of web_prod failed \(exit 1\): pg_dump: error: connection lost/);
    for (const d of dests.values()) expect([...d.objects.keys()]).toEqual([]);
  });

  it('leftovers of a killed run (a running record, objects without a manifest) are removed by the next backup', async () => {
    const { w, dests, opener } = await world();
    const stale = '20241231T230000Z-dead';
    const rec: BackupRecord = {
      format: 'slipway-backup-record/1',
      id: stale,
      project: 'acme',
      env: 'prod',
      server: 's1',
      status: 'running',
      startedAt: '2024-12-31T23:00:00.000Z',
      by: 'x@y',
      what: ['postgres'],
      destinations: [{ name: 'a', status: 'running', objects: 0, bytes: 0 }],
      bytes: 0,
      plainBytes: 0,
    };
    await w.run('s1').store.writeJson(`backups/prod/${stale}.json`, rec);
    await dests.get('a')!.put(`acme/prod/${stale}/postgres/postgres/web_prod.pgdump.age`, Readable.from([Buffer.from('half')]));
    expect((await listBackups(w.session, { env: 'prod', now: w.clock.t })).map((r) => r.status)).toEqual(['running']);
    const r = await runBackup(w.session, { env: 'prod', opener });
    expect(ids(dests.get('a')!, 'prod')).toEqual([r.record.id]);
    expect((await listBackups(w.session, { env: 'prod', now: w.clock.t })).map((x) => [x.id, x.status])).toEqual([[r.record.id, 'ok']]);
  });

  it('prune: per-destination retention, dry run first, newest verified kept, other environments and projects untouched', async () => {
    const { w, dests, opener } = await world();
    const taken: string[] = [];
    for (let i = 0; i < 3; i++) {
      w.clock.t += 3_600_000;
      taken.push((await runBackup(w.session, { env: 'prod', opener })).record.id);
    }
    await runBackup(w.session, { env: 'staging', opener });
    await dests.get('b')!.put('other/prod/20200101T000000Z-abcd/manifest.json', Readable.from([Buffer.from('{}')]));
    const store = w.run('s1').store;
    const rec = (await store.readJson<BackupRecord>(`backups/prod/${taken[0]}.json`))!;
    await store.writeJson(`backups/prod/${taken[0]}.json`, { ...rec, verifiedAt: '2025-01-01T05:00:00.000Z' });

    const dry = await pruneBackups(w.session, { env: 'prod', dryRun: true, opener });
    expect(dry.decisions.filter((d) => d.destination === 'b').map((d) => [d.id, d.action, d.reasons])).toEqual([
      [taken[2], 'keep', ['last', 'newest']],
      [taken[1], 'delete', []],
      [taken[0], 'keep', ['newest-verified']],
    ]);
    // a keeps daily 7: all three are the same day, so only the newest (and the verified one).
    expect(dry.decisions.filter((d) => d.destination === 'a' && d.action === 'delete').map((d) => d.id)).toEqual([taken[1]]);
    expect(ids(dests.get('b')!, 'prod').sort()).toEqual([...taken].sort());

    await pruneBackups(w.session, { env: 'prod', dryRun: false, opener });
    expect(ids(dests.get('b')!, 'prod').sort()).toEqual([taken[0], taken[2]].sort());
    expect(ids(dests.get('a')!, 'staging')).toHaveLength(1);
    expect(dests.get('b')!.objects.has('other/prod/20200101T000000Z-abcd/manifest.json')).toBe(true);
    expect((await listBackups(w.session, { env: 'prod', now: w.clock.t })).map((x) => x.id).sort()).toEqual([taken[0], taken[2]].sort());
    // Every delete stayed under acme/prod/.
    for (const d of dests.values()) for (const c of d.calls.filter((x) => x.op === 'delete')) expect(c.key.startsWith('acme/prod/')).toBe(true);
  });
});
