// Restores end to end on the real engine, through the real CLI: prod of a small fleet (Postgres 15
// with several tables — non-ASCII text, a table without a primary key, a sequence, a large object,
// an extension —, Redis keys with a TTL and binary values, a media volume; the web app deployed in
// prod and staging behind Caddy) is backed up, changed, and restored in place: every table's count
// and checksum, every Redis key and every media file are the backup's again, and the pre-restore
// backup exists. Then prod's backup is copied into staging with a scrub: staging has prod's data
// minus what the scrub removed, owned by staging's own role, which still cannot connect to prod's
// database; staging's app answers again. A failing scrub leaves staging in maintenance (503) with
// its own data; bad inputs (a damaged object too) exit non-zero with a clear message and change nothing.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../src/backup/manifest.ts';
import type { TableSummary } from '../src/backup/manifest.ts';
import { compareTables, parseTableChecksums, TABLE_CHECKSUMS_SQL } from '../src/backup/pg-checksums.ts';
import type { BackupRecord } from '../src/backup/record.ts';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { LocalDestination } from '../src/workflows/backup/destinations/local.ts';
import type { BackupRow } from '../src/workflows/backup/list.ts';
import type { RestoreResult } from '../src/workflows/backup/restore.ts';
import { StateStore } from '../src/workflows/state-store.ts';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { manifestOf, psqlIn } from './support/backup-world.ts';
import { slipway, slipwayOk } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

let p: TestProject;
let port: number;
let identity: string;
let env: Record<string, string>;
const engine = new DockerodeEngine('local');
let local: LocalDestination;

const PG = () => `${p.project}-postgres`;
const REDIS = () => `${p.project}-redis`;
const media = (e: string) => `${p.project}-${e}-web-media`;

function fleet(recipient: string): string {
  return `project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }
environments:
  prod:
    server: local
    deploy: any
    tls: "off"
    domain: "{app}.localhost"
    backup: { to: { local: { last: 20 } } }
  staging:
    server: local
    deploy: any
    tls: "off"
    domain: "{app}-staging.localhost"
    backup: { to: { local: { last: 20 } } }
backups:
  recipients: [${recipient}]
services:
  postgres: { image: postgres:15, scope: server, memory: 512MiB }
  redis: { image: redis:7, scope: server, memory: 64MiB }
apps:
  web:
    image: nginx:1.27
    uses: [postgres, redis]
    volumes: { media: /srv/media }
    processes:
      web: { port: 80, health: /, memory: 64MiB }
`;
}

// Run as prod's own role, as its app would: prod's objects belong to web_prod.
const DATASET = `SET ROLE web_prod;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SEQUENCE invoice_no START 1000 INCREMENT 7;
CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, email text, city text);
INSERT INTO customers (name, email, city)
  SELECT 'client ' || i, 'c' || i || '@example.test', (ARRAY['Zürich', 'Genève', 'Kraków', 'São Paulo', '東京', 'Αθήνα'])[1 + i % 6]
  FROM generate_series(1, 30000) i;
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), amount numeric(12, 2) NOT NULL, note text);
INSERT INTO orders (customer_id, amount, note)
  SELECT 1 + (i * 7919) % 30000, round(((i * 37) % 100000)::numeric / 100, 2), CASE WHEN i % 10 = 0 THEN 'Lieferung für Müller — „eilig“ ✓' END
  FROM generate_series(1, 60000) i;
CREATE TABLE events (at timestamptz NOT NULL, kind text NOT NULL, payload jsonb);
INSERT INTO events
  SELECT timestamptz '2024-06-01 00:00:00+00' + (i || ' seconds')::interval, (ARRAY['login', 'view', 'buy', 'ログアウト'])[1 + i % 4], jsonb_build_object('n', i)
  FROM generate_series(1, 20000) i;
CREATE TABLE digests (id serial PRIMARY KEY, digest bytea NOT NULL);
INSERT INTO digests (digest) SELECT digest('row ' || i, 'sha256') FROM generate_series(1, 500) i;
SELECT setval('invoice_no', 424242);
CREATE TABLE documents (id serial PRIMARY KEY, title text, blob oid);
INSERT INTO documents (title, blob) VALUES ('Übersicht.pdf', lo_from_bytea(0, decode(repeat(md5('slipway'), 4096), 'hex')));
`;

const SCRUB = `-- staging must not hold customers' addresses, nor the logout events
UPDATE customers SET email = 'redacted-' || id || '@example.invalid';
DELETE FROM events WHERE kind = 'ログアウト';
`;

const cliOk = (args: string[]) => slipwayOk(args, { cwd: p.dir, env });
const cli = (args: string[], e: Record<string, string> = env) => slipway(args, { cwd: p.dir, env: e });
const tables = (db: string): TableSummary[] => parseTableChecksums(psqlIn(PG(), db, TABLE_CHECKSUMS_SQL));
const backups = async (e: string): Promise<BackupRow[]> => JSON.parse((await cliOk(['backups', e, '--json'])).stdout) as BackupRow[];

/** The Redis DB number an environment's web container was given. */
function redisDb(e: string): number {
  const id = execFileSync(
    'docker',
    ['ps', '-q', '--filter', `label=slipway.project=${p.project}`, '--filter', `label=slipway.env=${e}`, '--filter', 'label=slipway.role=app'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')[0]!;
  const envs = JSON.parse(execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', id], { encoding: 'utf8' })) as string[];
  const url = envs.find((x) => x.startsWith('REDIS_URL='))!;
  return Number(/\/(\d+)$/.exec(url)![1]);
}

/** Slipway's admin user on the Redis instance when it has ACLs. */
let redisAuth: string[] = [];
const redisCli = (db: number, args: string[]) =>
  execFileSync('docker', ['exec', ...redisAuth.slice(0, 2), REDIS(), 'redis-cli', ...redisAuth.slice(2), '-n', String(db), ...args], {
    encoding: 'utf8',
  }).trim();
const redis = (db: number, ...args: string[]) => redisCli(db, args);

/** Every key of a DB with its value (as DUMP hex: binary-safe) and whether it has a TTL. */
function redisKeys(db: number): Record<string, { dump: string; ttl: boolean }> {
  const out: Record<string, { dump: string; ttl: boolean }> = {};
  for (const k of redis(db, '--scan').split('\n').filter(Boolean)) {
    out[k] = { dump: redisCli(db, ['--no-raw', 'DUMP', k]), ttl: Number(redis(db, 'PTTL', k)) > 0 };
  }
  return out;
}

/** path → sha256 of every file of a volume. */
function files(volume: string): Record<string, string> {
  const out = execFileSync(
    'docker',
    ['run', '--rm', '-v', `${volume}:/m:ro`, '--entrypoint', 'sh', 'caddy:2', '-c', 'cd /m && find . -type f -print0 | xargs -0 -r sha256sum -z'],
    { encoding: 'utf8' },
  );
  const r: Record<string, string> = {};
  for (const e of out.split('\0').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}\.\/(.*)$/s.exec(e)!;
    r[m[2]!] = m[1]!;
  }
  return r;
}

const onVolume = (volume: string, script: string) =>
  execFileSync('docker', ['run', '--rm', '-v', `${volume}:/m`, '--entrypoint', 'sh', 'caddy:2', '-c', script], { encoding: 'utf8' });

/** psql as an environment's own role, with its password, over TCP (as its app connects). */
function psqlAs(role: string, db: string, sql: string): { code: number; out: string } {
  return psqlAsWith(role, db, sql, passwords.get(role)!);
}
function psqlAsWith(role: string, db: string, sql: string, pw: string): { code: number; out: string } {
  try {
    const out = execFileSync(
      'docker',
      ['exec', '-i', '-e', `PGPASSWORD=${pw}`, PG(), 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', role, '-d', db],
      { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return { code: 0, out: out.trim() };
  } catch (e) {
    const x = e as { status: number; stderr: string };
    return { code: x.status, out: String(x.stderr).trim() };
  }
}
const passwords = new Map<string, string>();

const host = (e: string) => (e === 'prod' ? 'web.localhost' : 'web-staging.localhost');
async function status(e: string): Promise<number> {
  return (await get(port, host(e), '/')).status;
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'postgres15', 'nginx', 'redis']);
  p = makeProject('rs');
  port = await freePort();
  identity = await generateX25519Identity();
  env = { SLIPWAY_AGE_KEY: identity };
  p.writeFleet(fleet(await identityToRecipient(identity)));
  await cliOk(['up']);
  for (const e of ['prod', 'staging']) await cliOk(['deploy', 'web', e]);
  psqlIn(PG(), 'web_prod', DATASET);
  psqlIn(PG(), 'web_staging', 'SET ROLE web_staging; CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ($$staging ü$$);');
  const store = new StateStore(engine, p.project);
  const admin = await store.getSecret(`slipway/${p.project}-redis/admin`);
  if (admin) redisAuth = ['-e', `REDISCLI_AUTH=${admin.reveal()}`, '--user', 'slipway-admin'];
  for (const role of ['web_prod', 'web_staging']) passwords.set(role, (await store.getSecret(`pg/${p.project}-postgres/${role}`))!.reveal());
  for (let db = 0; db < 16; db++) redis(db, 'SET', `k-db${db}`, `v${db}`);
  const prodDb = redisDb('prod');
  redis(prodDb, 'SET', 'session:Grüße', 'ü\u0001\u0002binary', 'EX', '3600');
  redis(prodDb, 'HSET', 'user:1', 'name', 'Zoë', 'city', '東京');
  onVolume(
    media('prod'),
    'mkdir -p "/m/uploads/ü dir" && printf "Grüße aus Zürich" > "/m/uploads/Übersicht.txt" && head -c 1000000 /dev/urandom > "/m/uploads/ü dir/photo.jpg" && printf x > /m/.hidden',
  );
  local = new LocalDestination({ engine, project: p.project, helperImage: 'caddy:2' });
}, 900_000);

afterAll(async () => {
  await local?.close();
  if (p) await cleanupProject(p.project, p.dir);
});

describe('restore on the real engine', () => {
  let backup: BackupRecord;
  let manifest: BackupManifest;
  let prodKeys: Record<string, { dump: string; ttl: boolean }>;
  let prodFiles: Record<string, string>;

  it('restore prod --from ID brings back every table, Redis key and media file, after a pre-restore backup of what it replaced', async () => {
    prodKeys = redisKeys(redisDb('prod'));
    prodFiles = files(media('prod'));
    backup = JSON.parse((await cliOk(['backup', 'prod', '--json'])).stdout) as BackupRecord;
    expect(backup.status).toBe('ok');
    manifest = await manifestOf(local, p.project, 'prod', backup.id);
    const pg = manifest.objects.find((o) => o.kind === 'postgres')!.postgres!;
    expect(compareTables(pg.tables, tables('web_prod'))).toEqual([]);

    // prod changes after the backup.
    psqlIn(
      PG(),
      'web_prod',
      "SET ROLE web_prod; DELETE FROM events WHERE kind = 'view'; INSERT INTO customers (name, city) VALUES ('new', 'Oslo'); UPDATE orders SET amount = 0 WHERE id < 100; SELECT setval('invoice_no', 1);",
    );
    const prodDb = redisDb('prod');
    redis(prodDb, 'DEL', 'user:1');
    redis(prodDb, 'SET', 'added-later', '1');
    onVolume(media('prod'), 'rm "/m/uploads/Übersicht.txt" && printf changed > "/m/uploads/ü dir/photo.jpg" && printf new > /m/new.txt');
    expect(compareTables(pg.tables, tables('web_prod'))).not.toEqual([]);
    const before = await backups('prod');

    const r = await cli(['restore', 'prod', '--from', backup.id, '--yes', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RestoreResult & { ok: boolean; steps: { label: string; ms: number }[] };
    console.log(`restore prod --from ${backup.id}: ${result.durationMs} ms\n${result.steps.map((x) => `  ${x.label}: ${x.ms} ms`).join('\n')}`);
    expect(result).toMatchObject({ ok: true, source: 'prod', target: 'prod', backup: backup.id, preRestoreStatus: 'ok' });
    expect(result.restored.map((x) => x.kind).sort()).toEqual(['postgres', 'redis', 'volume']);
    // No helper of the restore is left behind (checked before this test's own reads of the backup volume start theirs).
    const left = execFileSync(
      'docker',
      ['ps', '-a', '--format', '{{.Names}} {{.Status}}', '--filter', `label=slipway.project=${p.project}`, '--filter', 'label=slipway.role=backup'],
      { encoding: 'utf8' },
    ).trim();
    expect(left).toBe('');

    // Postgres: every table, sequence and the large object as in the backup, still owned by web_prod.
    expect(compareTables(pg.tables, tables('web_prod'))).toEqual([]);
    expect(psqlIn(PG(), 'web_prod', "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")).toBe('web_prod');
    expect(psqlIn(PG(), 'web_prod', "SELECT city FROM customers WHERE city = '東京' LIMIT 1")).toBe('東京');
    expect(psqlAs('web_prod', 'web_prod', 'SELECT count(*) FROM events').out).toBe('20000');
    // Redis: the same keys, values and TTLs; other environments' DBs untouched.
    expect(redisKeys(prodDb)).toEqual(prodKeys);
    expect(Number(redis(prodDb, 'PTTL', 'session:Grüße'))).toBeGreaterThan(3_000_000);
    expect(redis(prodDb, 'HGET', 'user:1', 'city')).toBe('東京');
    for (let db = 0; db < 16; db++) if (db !== prodDb) expect(redis(db, 'GET', `k-db${db}`)).toBe(`v${db}`);
    // Media: exactly the backup's files.
    expect(files(media('prod'))).toEqual(prodFiles);
    expect(Object.keys(prodFiles).sort()).toEqual(['.hidden', 'uploads/ü dir/photo.jpg', 'uploads/Übersicht.txt'].sort());

    // The pre-restore backup exists, is ok, and holds what was replaced.
    const after = await backups('prod');
    expect(after.length).toBe(before.length + 1);
    const pre = after.find((x) => x.id === result.preRestoreBackup)!;
    expect(pre).toMatchObject({ status: 'ok', env: 'prod' });
    const preManifest = await manifestOf(local, p.project, 'prod', pre.id);
    const preVol = preManifest.objects.find((o) => o.kind === 'volume')!.volume!.files.map((f) => f.path);
    expect(preVol).toContain('new.txt');
    // The app answers again, out of maintenance; no copy of the database is left behind.
    expect(await status('prod')).toBe(200);
    expect(psqlIn(PG(), 'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'web\\_%\\_\\_%'")).toBe('0');
  }, 900_000);

  it("restore prod --into staging --scrub: prod's data minus the scrubbed part, owned by staging's role, which still cannot reach prod's database; staging answers again", async () => {
    const scrub = join(p.dir, 'scrub.sql');
    writeFileSync(scrub, SCRUB);
    const r = await cli(['restore', 'prod', '--into', 'staging', '--from', backup.id, '--scrub', 'scrub.sql', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Restore backup ${backup.id} of prod`);
    expect(r.stdout).toMatch(/postgres web_prod → web_staging \(owner web_staging\)/);
    expect(r.stdout).toMatch(/Pre-restore backup of staging: \S+; undo with: slipway restore staging --from \S+/);
    expect(r.stderr).toMatch(/✓ restore web_prod into a new copy of web_staging, check, scrub \(/);
    console.log(r.stdout);

    const pg = manifest.objects.find((o) => o.kind === 'postgres')!.postgres!;
    const got = tables('web_staging');
    // Unscrubbed tables are prod's exactly; the scrubbed ones differ only by the scrub.
    const diff = compareTables(pg.tables, got);
    expect(diff.map((d) => d.split(':')[0])).toEqual(['table public.customers', 'table public.events']);
    expect(got.find((t) => t.name === 'customers')!.rows).toBe(30000);
    expect(got.find((t) => t.name === 'events')!.rows).toBe(15000);
    expect(psqlIn(PG(), 'web_staging', "SELECT count(*) FROM customers WHERE email LIKE '%@example.test'")).toBe('0');
    expect(psqlIn(PG(), 'web_staging', "SELECT to_regclass('notes') IS NULL")).toBe('t');
    // Owned by staging's role: the database, tables, sequences, the large object, the schema's objects.
    expect(psqlIn(PG(), 'postgres', "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'web_staging'")).toBe('web_staging');
    expect(
      psqlIn(
        PG(),
        'web_staging',
        "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
      ),
    ).toBe('web_staging');
    expect(psqlIn(PG(), 'web_staging', 'SELECT DISTINCT pg_get_userbyid(lomowner) FROM pg_largeobject_metadata')).toBe('web_staging');
    expect(psqlAs('web_staging', 'web_staging', "SELECT count(*) FROM customers WHERE city = '東京'")).toEqual({ code: 0, out: '5000' });
    // Staging's role still cannot connect to prod's database.
    const denied = psqlAs('web_staging', 'web_prod', 'SELECT 1');
    expect(denied.code).not.toBe(0);
    expect(denied.out).toMatch(/permission denied for database "web_prod"/);
    // Redis: staging's own DB holds prod's keys; prod's DB untouched.
    expect(redisKeys(redisDb('staging'))).toEqual(prodKeys);
    expect(redisKeys(redisDb('prod'))).toEqual(prodKeys);
    // Media: prod's files in staging's volume.
    expect(files(media('staging'))).toEqual(prodFiles);
    expect(await status('staging')).toBe(200);
    expect(await status('prod')).toBe(200);
  }, 900_000);

  it('a failing scrub leaves staging in maintenance (503) with its own data, and says so', async () => {
    psqlIn(PG(), 'web_staging', "SET ROLE web_staging; INSERT INTO customers (name, city) VALUES ('staging only', 'Bern');");
    const before = tables('web_staging');
    const stagingKeys = redisKeys(redisDb('staging'));
    writeFileSync(join(p.dir, 'bad-scrub.sql'), 'UPDATE customers SET email = NULL;\nDELETE FROM no_such_table;\n');
    const r = await cli(['restore', 'prod', '--into', 'staging', '--latest', '--scrub', 'bad-scrub.sql', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: the scrub bad-scrub\.sql failed in web_staging as web_staging \(psql exited \d+\): .*relation "no_such_table" does not exist/,
    );
    expect(r.stderr).toMatch(/Nothing of staging was replaced .*staging stays in maintenance \(web\), so no unscrubbed data is served/);
    expect(r.stderr).toMatch(/hint: fix bad-scrub\.sql and run the restore again/);
    expect(await status('staging')).toBe(503);
    expect(await status('prod')).toBe(200);
    expect(tables('web_staging')).toEqual(before);
    expect(redisKeys(redisDb('staging'))).toEqual(stagingKeys);
    expect(psqlIn(PG(), 'postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'web\\_%\\_\\_%'")).toBe('0');
    await cliOk(['maintenance', 'off', 'web', 'staging']);
    expect(await status('staging')).toBe(200);
    expect(psqlAs('web_staging', 'web_staging', 'SELECT 1').out).toBe('1');
  }, 900_000);

  it('bad inputs exit non-zero with a clear message and change nothing', async () => {
    const store = new StateStore(engine, p.project);
    // A partial backup, and one recorded for another project.
    const partial = { ...backup, id: '20200101T000000Z-aaaa', status: 'partial', error: 'offsite: HTTP 500' };
    const foreign = { ...backup, id: '20200101T000000Z-bbbb', project: 'otherproj' };
    await store.writeJson(`backups/prod/${partial.id}.json`, partial);
    await store.writeJson(`backups/prod/${foreign.id}.json`, foreign);
    await store.flush();
    const wrongKey = await generateX25519Identity();
    const stagingBefore = tables('web_staging');
    const prodBefore = tables('web_prod');
    const countsBefore = [(await backups('prod')).length, (await backups('staging')).length];
    const cases: [string[], number, RegExp, Record<string, string>?][] = [
      [['restore', 'qa', '--from', backup.id, '--yes'], 2, /error: unknown environment "?qa"?/],
      [['restore', 'prod', '--into', 'qa', '--yes'], 2, /error: unknown environment "?qa"?/],
      [
        ['restore', 'prod', '--from', '20990101T000000Z-dead', '--yes'],
        2,
        /error: no backup 20990101T000000Z-dead of prod on local\n.*hint: list them with: slipway backups prod/s,
      ],
      [['restore', 'prod', '--from', 'yesterday', '--yes'], 2, /error: --from yesterday: not a backup id/],
      [['restore', 'prod', '--yes'], 2, /error: name the backup of prod to restore: --from ID, or --latest/],
      [['restore', 'prod', '--from', backup.id, '--scrub', 'scrub.sql', '--yes'], 2, /error: --scrub is for a copy into another environment/],
      [['restore', 'prod', '--into', 'staging', '--scrub', 'missing.sql', '--yes'], 2, /error: cannot read the scrub file missing\.sql: ENOENT/],
      [
        ['restore', 'prod', '--from', partial.id, '--yes'],
        1,
        /error: backup 20200101T000000Z-aaaa of prod is partial \(offsite: HTTP 500\): only a backup that every destination holds complete/,
      ],
      [['restore', 'prod', '--into', 'staging', '--from', foreign.id, '--yes'], 1, /error: backup 20200101T000000Z-bbbb belongs to project otherproj, not /],
      [['restore', 'prod', '--from', backup.id, '--yes'], 1, /error: restore \(to decrypt the backup\) needs your age identity, and none was given/, {}],
      [
        ['restore', 'prod', '--from', backup.id, '--yes'],
        1,
        /error: the age identity from SLIPWAY_AGE_KEY \(age1\S+\) is not a recipient of backup \S+ \(encrypted to age1/,
        { SLIPWAY_AGE_KEY: wrongKey },
      ],
      [
        ['restore', 'prod', '--into', 'staging', '--from', backup.id],
        2,
        /error: refusing to replace the data of staging without confirmation: standard input is not a terminal/,
      ],
    ];
    for (const [args, code, message, e] of cases) {
      const r = await cli(args, e ?? env);
      expect({ args, code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringMatching(message) });
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // --json: the error as JSON, no stack trace.
    const j = await cli(['restore', 'prod', '--from', '20990101T000000Z-dead', '--yes', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: expect.stringContaining('no backup 20990101T000000Z-dead') });
    // Nothing changed: no backup taken, data, maintenance and locks as they were.
    expect([(await backups('prod')).length, (await backups('staging')).length]).toEqual(countsBefore);
    expect(tables('web_staging')).toEqual(stagingBefore);
    expect(tables('web_prod')).toEqual(prodBefore);
    expect(await status('staging')).toBe(200);
    expect(await status('prod')).toBe(200);
    expect(execFileSync('docker', ['ps', '-a', '-q', '--filter', `name=${p.project}-lock-`], { encoding: 'utf8' }).trim()).toBe('');
    // A damaged object (one byte changed where it lies): refused before anything changes, naming it.
    const vol = manifest.objects.find((o) => o.kind === 'volume')!;
    execFileSync('docker', [
      'run',
      '--rm',
      '-v',
      `${p.project}-slipway-backups:/b`,
      '--entrypoint',
      'sh',
      'caddy:2',
      '-c',
      // A byte that differs from the one there (writing a fixed byte is no change when it was already that byte).
      'c=$(dd if="$1" bs=1 skip=200 count=1 2>/dev/null); b=Z; [ "$c" = Z ] && b=Y; printf %s "$b" | dd of="$1" bs=1 seek=200 conv=notrunc 2>/dev/null',
      'sh',
      `/b/${p.project}/prod/${backup.id}/${vol.key}`,
    ]);
    const damaged = await cli(['restore', 'prod', '--into', 'staging', '--from', backup.id, '--yes']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(
      new RegExp(`error: ${vol.key.replace(/[.]/g, '\\.')} in local \\(.*\\) differs from the manifest: ${vol.size} bytes, sha256 `),
    );
    expect([(await backups('prod')).length, (await backups('staging')).length]).toEqual(countsBefore);
    expect(tables('web_staging')).toEqual(stagingBefore);
    expect(await status('staging')).toBe(200);
    await store.write(`backups/prod/${partial.id}.json`, '');
    await store.write(`backups/prod/${foreign.id}.json`, '');
    await store.flush();
  }, 900_000);
});
