// serverStatus against a FakeEngine: every desired container matched to what runs by the key its
// labels give (apps, services and the proxy alike), with release, state and health; and the backup
// part of status (the last good backup and the last verification per environment, from the records).
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith, fakeWorld, upAll } from '../../test/support/fake-session.ts';
import { infraFleet, infraWorld } from '../../test/support/infra-world.ts';
import { type BackupRecord, recordPath } from '../backup/record.ts';
import { serverStatus, type StatusRow } from './status.ts';
import { type EnvBackupStatus, envBackupStatus } from './status-backups.ts';

describe('serverStatus (FakeEngine)', () => {
  it('matches apps, services and the proxy by key; what does not run is "not deployed"', async () => {
    const w = await infraWorld();
    expect((await (await cliOn(w, infraFleet(['staging', 'prod'])))(['up'])).code).toBe(0);
    const r1 = await deployWith(w, 'web', 'prod');
    const rows = await serverStatus(w.run('s1'));
    const brief = rows.map((r) => `${r.env} ${r.app} ${r.process} ${r.container ?? '-'} ${r.release ?? '-'} ${r.state} ${r.health}`).sort();
    expect(brief).toEqual([
      '- postgres service acme-postgres - running running',
      '- proxy proxy acme-proxy - running running',
      '- redis service acme-redis - running running',
      `prod web web acme-web-prod-web-0-${r1.release} ${r1.release} running healthy`,
      `prod web worker acme-web-prod-worker-0-${r1.release} ${r1.release} running running`,
      'staging web web - - not deployed n/a',
      'staging web worker - - not deployed n/a',
    ]);
    const r2 = await deployWith(w, 'web', 'prod');
    // The release that runs, not the stopped one kept for rollback.
    expect((await serverStatus(w.run('s1'), 'prod')).map((r) => r.release)).toEqual([r2.release, r2.release]);
  });
});

describe('envBackupStatus (FakeEngine): the age of the last good backup and of the last verification, per environment', () => {
  const R = 'age1aqxqm5ynyem8eec0vfkhugpsp7d3dcpvqxqmegz7923sxmhatplqsv9twj';
  const FLEET = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  prod: { server: s1, tls: "off", backup: { to: [local] } }
  staging: { server: s1, tls: "off", backup: { to: [local] } }
  dev: { server: s1, tls: "off", backup: false }
backups:
  recipients: [${R}]
  what: [postgres]
services:
  postgres: { image: postgres:15, scope: server, memory: 256MiB }
apps:
  web:
    image: acme/web:v1
    uses: [postgres]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;
  const HOUR = 3_600_000;

  function record(env: string, id: string, status: BackupRecord['status'], startedAt: number, extra: Partial<BackupRecord> = {}): BackupRecord {
    return {
      format: 'slipway-backup-record/1',
      id,
      project: 'acme',
      env,
      server: 's1',
      status,
      startedAt: new Date(startedAt).toISOString(),
      ...(status === 'running' ? {} : { finishedAt: new Date(startedAt + 60_000).toISOString() }),
      by: 'ops@laptop',
      what: ['postgres'],
      destinations: [{ name: 'local', status: status === 'ok' ? 'ok' : 'failed', objects: 1, bytes: 10 }],
      bytes: 10,
      plainBytes: 20,
      ...extra,
    };
  }

  it('reads the records on the server: newest ok backup, newest verification whatever its result, a newer backup that is not ok; --json and the human view', async () => {
    const w = await fakeWorld(FLEET, { images: ['caddy:2', 'postgres:15', 'acme/web:v1'] });
    await upAll(w);
    const now = w.clock.t;
    const store = w.run('s1').store;
    const at = (h: number) => new Date(now - h * HOUR).toISOString();
    // prod: verified (ok) 30 h ago on the oldest, a later verification failed 20 h ago, the newest ok is 3 h old, then a partial 1 h ago.
    const prod = [
      record('prod', '20241230T000000Z-aaaa', 'ok', now - 48 * HOUR, { verifiedAt: at(30), verification: { at: at(30), durationMs: 1000, result: 'ok' } }),
      record('prod', '20241230T120000Z-bbbb', 'ok', now - 36 * HOUR, {
        verification: { at: at(20), durationMs: 900, result: 'failed', detail: 'table public.orders: content differs' },
      }),
      record('prod', '20241231T210000Z-cccc', 'ok', now - 3 * HOUR),
      record('prod', '20241231T230000Z-dddd', 'partial', now - HOUR, { error: 's3: upload failed' }),
    ];
    // staging: only a backup that failed.
    const staging = [record('staging', '20241231T220000Z-eeee', 'failed', now - 2 * HOUR, { error: 'postgres web_staging: pg_dump failed' })];
    for (const r of [...prod, ...staging]) await store.writeJson(recordPath(r.env, r.id), r);
    await store.flush();

    const rows = await envBackupStatus(w.run('s1'));
    expect(rows).toEqual([
      {
        env: 'prod',
        server: 's1',
        policy: true,
        lastOk: { id: '20241231T210000Z-cccc', at: new Date(now - 3 * HOUR + 60_000).toISOString(), ageS: 3 * 3600 - 60 },
        lastVerification: { id: '20241230T120000Z-bbbb', at: at(20), ageS: 20 * 3600, result: 'failed' },
        newestNotOk: { id: '20241231T230000Z-dddd', status: 'partial', at: at(1), ageS: 3600, error: 's3: upload failed' },
      },
      {
        env: 'staging',
        server: 's1',
        policy: true,
        lastOk: null,
        lastVerification: null,
        newestNotOk: { id: '20241231T220000Z-eeee', status: 'failed', at: at(2), ageS: 7200, error: 'postgres web_staging: pg_dump failed' },
      },
      { env: 'dev', server: 's1', policy: false, lastOk: null, lastVerification: null },
    ]);
    expect((await envBackupStatus(w.run('s1'), 'staging')).map((r) => r.env)).toEqual(['staging']);

    const cli = await cliOn(w, FLEET);
    const json = await cli(['status', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { processes: StatusRow[]; backups: EnvBackupStatus[] };
    expect(parsed.backups).toEqual(rows);
    expect(parsed.processes.map((p) => `${p.env} ${p.app} ${p.process}`).sort()).toContain('prod web web');
    const only = JSON.parse((await cli(['status', 'prod', '--json'])).stdout) as { backups: EnvBackupStatus[] };
    expect(only.backups.map((b) => b.env)).toEqual(['prod']);

    const human = await cli(['status']);
    expect(human.code, human.stderr).toBe(0);
    const table = human.stdout.slice(human.stdout.lastIndexOf('\nENV ') + 1);
    expect(table.split('\n')[0]).toMatch(/^ENV\s+SERVER\s+LAST GOOD BACKUP\s+LAST VERIFICATION\s+NEWEST NOT OK$/);
    expect(table).toMatch(
      /\nprod\s+s1\s+3h ago \(20241231T210000Z-cccc\)\s+failed 20h ago \(20241230T120000Z-bbbb\)\s+partial 60m ago \(20241231T230000Z-dddd\)\n/,
    );
    expect(table).toMatch(/\nstaging\s+s1\s+none\s+-\s+failed 2h ago \(20241231T220000Z-eeee\)\n/);
    expect(table).toMatch(/\ndev\s+s1\s+no backup policy\s+-\s*\n/);
  });
});
