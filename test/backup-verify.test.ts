// `slipway backup verify` end to end on the real engine, through the real CLI: prod of a fleet
// with Postgres 15 (the backup data set: 1M+ rows, sequences, a large object, an extension, a table
// without a primary key, non-ASCII text), Redis and a media volume, backed up encrypted to the
// server's own volume and to an S3-compatible server (s3rver). verify restores it into throwaway
// containers and passes, and the result is recorded and listed. Faults: an object flipped in a
// destination, a manifest whose table checksum differs with a re-encrypted modified media archive
// (the table and the file are named), a wrong age key (a clear error, nothing recorded), Ctrl-C in
// the middle (the throwaways are removed) and a killed run's leftovers (removed by the next run).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_KEY, objectKey } from '../src/backup/layout.ts';
import { type BackupManifest, serializeManifest } from '../src/backup/manifest.ts';
import type { BackupRecord } from '../src/backup/record.ts';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { Secret } from '../src/util/secret.ts';
import { LocalDestination } from '../src/workflows/backup/destinations/local.ts';
import { S3Destination } from '../src/workflows/backup/destinations/s3.ts';
import type { BackupRow } from '../src/workflows/backup/list.ts';
import { encryptStream } from '../src/workflows/backup/streams.ts';
import { StateStore } from '../src/workflows/state-store.ts';
import type { VerifyResult } from '../src/workflows/backup/verify.ts';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { decrypt, manifestOf, psqlIn, readAll } from './support/backup-world.ts';
import { slipway, slipwayOk, startSlipway } from './support/cli.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { type S3Server, startS3Server } from './support/s3-server.ts';

const AK = 'slipway-test-access-key';
const SK = 'slipway-test-secret-key-0123456789';
const BUCKET = 'backups';
const DATASET = readFileSync(join(import.meta.dirname, 'fixtures', 'backup', 'dataset.sql'), 'utf8');

let p: TestProject;
let s3: S3Server;
let s3Dir: string;
let identity: string;
let env: Record<string, string>;
let backup: BackupRecord;
let manifest: BackupManifest;
const engine = new DockerodeEngine('local');
let local: LocalDestination;
let remote: S3Destination;

function fleet(recipient: string, httpPort: number, s3Port: number): string {
  return `project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${httpPort} }
environments:
  prod:
    server: local
    deploy: any
    tls: "off"
    backup: { to: { local: { daily: 7 }, s3: { daily: 30 } } }
backups:
  recipients: [${recipient}]
  destinations:
    s3: { s3: { endpoint: "http://127.0.0.1:${s3Port}", bucket: ${BUCKET}, access_key: { secret: s3-access-key }, secret_key: { secret: s3-secret-key } } }
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

const cli = (args: string[], extra: Record<string, string> = {}) => slipway(args, { cwd: p.dir, env: { ...env, ...extra } });
const cliOk = (args: string[], extra: Record<string, string> = {}) => slipwayOk(args, { cwd: p.dir, env: { ...env, ...extra } });
const row = async (id: string): Promise<BackupRow> =>
  (JSON.parse((await cliOk(['backups', 'prod', '--json'])).stdout) as BackupRow[]).find((r) => r.id === id)!;
/** Throwaway containers and volumes of the project (none may outlive a verify). */
const throwaways = () => {
  const f = ['--filter', `label=slipway.project=${p.project}`, '--filter', 'label=slipway.role=throwaway'];
  return [
    ...execFileSync('docker', ['ps', '-a', '-q', ...f], { encoding: 'utf8' }).split('\n'),
    ...execFileSync('docker', ['volume', 'ls', '-q', ...f], { encoding: 'utf8' }).split('\n'),
  ].filter(Boolean);
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The media archive with one file's content replaced (same tar layout as the engine's). */
async function tarWith(tar: Buffer, path: string, content: Buffer): Promise<Buffer> {
  const ex = tarExtract();
  const pk = tarPack();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const body = header.name.endsWith(path) ? content : Buffer.concat(chunks);
      pk.entry({ ...header, size: body.length }, body, next);
    });
  });
  ex.on('finish', () => pk.finalize());
  const out = Buffer.concat(
    await (async () => {
      ex.end(tar);
      const parts: Buffer[] = [];
      for await (const c of pk as AsyncIterable<Buffer>) parts.push(c);
      return parts;
    })(),
  );
  return out;
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'postgres15', 'nginx', 'redis']);
  p = makeProject('bkv');
  s3Dir = mkdtempSync(join(tmpdir(), 'slipway-s3v-'));
  s3 = await startS3Server({ dir: s3Dir, port: 0, accessKey: AK, secretKey: SK, bucket: BUCKET });
  identity = await generateX25519Identity();
  env = { SLIPWAY_AGE_KEY: identity };
  p.writeFleet(fleet(await identityToRecipient(identity), await freePort(), s3.port));
  await cliOk(['up']);
  await slipwayOk(['secret', 'set', 's3-access-key'], { cwd: p.dir, env, input: AK });
  await slipwayOk(['secret', 'set', 's3-secret-key'], { cwd: p.dir, env, input: SK });
  psqlIn(`${p.project}-postgres`, 'web_prod', DATASET);
  // Every DB gets the same three keys (a string, a list, one with a TTL): prod's backup holds its own DB's.
  // Redis requires authentication: the keys are written as Slipway's admin user (its password from the server's state).
  const admin = await new StateStore(engine, p.project).getSecret(`slipway/${p.project}-redis/admin`);
  const auth = admin ? { env: ['-e', `REDISCLI_AUTH=${admin.reveal()}`], user: ['--user', 'slipway-admin'] } : { env: [], user: [] };
  for (let db = 0; db < 16; db++) {
    const rc = (...a: string[]) =>
      execFileSync('docker', ['exec', ...auth.env, `${p.project}-redis`, 'redis-cli', ...auth.user, '-n', String(db), ...a], { encoding: 'utf8' }).trim();
    expect(rc('SET', `k-db${db}`, `v\n${db}`)).toBe('OK');
    expect(rc('RPUSH', 'queue', 'a', 'b', 'ç')).toBe('3');
    expect(rc('SET', 'ttl-key', 'x', 'EX', '3600')).toBe('OK');
  }
  execFileSync('docker', [
    'run',
    '--rm',
    '-v',
    `${p.project}-prod-web-media:/m`,
    '--entrypoint',
    'sh',
    'caddy:2',
    '-c',
    'mkdir -p /m/uploads && printf "Grüße aus Zürich" > "/m/uploads/Übersicht.txt" && head -c 3000000 /dev/urandom > /m/uploads/photo.jpg',
  ]);
  local = new LocalDestination({ engine, project: p.project, helperImage: 'caddy:2' });
  remote = new S3Destination(
    's3',
    { kind: 's3', endpoint: s3.endpoint, bucket: BUCKET, region: 'us-east-1', prefix: '', accessKeySecret: '', secretKeySecret: '', forcePathStyle: true },
    { accessKeyId: new Secret(AK), secretAccessKey: new Secret(SK) },
  );
  backup = JSON.parse((await cliOk(['backup', 'prod', '--json'])).stdout) as BackupRecord;
  expect(backup.status).toBe('ok');
  manifest = await manifestOf(local, p.project, 'prod', backup.id);
}, 900_000);

afterAll(async () => {
  await local?.close();
  await remote?.close().catch(() => undefined);
  await s3?.kill();
  if (s3Dir) execFileSync('rm', ['-rf', s3Dir]);
  if (p) await cleanupProject(p.project, p.dir);
});

describe('backup verify on the real engine', () => {
  it('restores prod’s backup into throwaways, every table, key and file matches; recorded and listed; a killed run’s leftovers are removed', async () => {
    // What a killed verify left: a container and a volume of a process that is gone.
    const dead = ['--label', `slipway.project=${p.project}`, '--label', 'slipway.role=throwaway', '--label', 'slipway.env=prod'];
    const owner = [
      '--label',
      `slipway.throwaway.host=${hostname()}`,
      '--label',
      'slipway.throwaway.pid=999999',
      '--label',
      `slipway.throwaway.since=${new Date().toISOString()}`,
    ];
    execFileSync('docker', ['volume', 'create', ...dead, ...owner, `${p.project}-slipway-verify-prod-pgdata-dead00`]);
    execFileSync('docker', ['create', '--name', `${p.project}-slipway-verify-prod-pg-dead00`, ...dead, ...owner, 'caddy:2']);
    expect(throwaways()).toHaveLength(2);

    const t0 = Date.now();
    const r = await cliOk(['backup', 'verify', 'prod']);
    const wall = Date.now() - t0;
    // Progress with timings on stderr, the verdict on stdout.
    expect(r.stderr).toMatch(/→ verify postgres web_prod …\n[\s\S]*✓ verify postgres web_prod \(\d+(\.\d)? s\)/);
    expect(r.stderr).toContain('removed 1 container(s) and 1 volume(s) an interrupted verify left');
    expect(r.stdout).toMatch(/ok {6}postgres web_prod: 5 tables \(1,051,001 rows\), \d+ sequences, large objects: restored into postgres:15 \(15\.\d+/);
    expect(r.stdout).toMatch(/ok {6}redis redis db \d+: 3 keys restored into redis:7/);
    expect(r.stdout).toMatch(/ok {6}volume \S+-prod-web-media: 2 files \(3,000,019 bytes\) with their sha256/);
    expect(r.stdout).toMatch(new RegExp(`backup ${backup.id} of prod: verified in \\d+(\\.\\d)? s \\(read from local, restored on local\\)`));
    expect(throwaways()).toEqual([]);
    console.log(
      `verify of the test data set (${(manifest.objects.reduce((n, o) => n + o.plainSize, 0) / 1e6).toFixed(1)} MB plaintext): ${wall} ms wall, CLI included`,
    );

    const listed = await row(backup.id);
    expect(listed.verification).toMatchObject({ result: 'ok', destination: 'local', durationMs: expect.any(Number) });
    expect(listed.verifiedAt).toBe(listed.verification!.at);
    expect((await cliOk(['backups', 'prod'])).stdout).toMatch(
      new RegExp(`${backup.id}\\s+prod\\s+.*\\s+ok\\s+local,s3\\s+ok \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(\\d+(\\.\\d)? s\\)`),
    );
  }, 900_000);

  it('--json, --from s3 and an explicit id: the same proof read from S3', async () => {
    const r = await cliOk(['backup', 'verify', backup.id, 'prod', '--from', 's3', '--json']);
    const v = JSON.parse(r.stdout) as VerifyResult;
    expect(v).toMatchObject({ id: backup.id, env: 'prod', destination: 's3', result: 'ok', mismatches: [], recorded: true });
    expect(v.objects.map((o) => [o.kind, o.ok])).toEqual([
      ['postgres', true],
      ['redis', true],
      ['volume', true],
    ]);
    expect(r.stderr).toBe('');
    expect((await row(backup.id)).verification).toMatchObject({ result: 'ok', destination: 's3' });
  }, 900_000);

  it('a wrong age key: a clear error naming the key tried and how to give the right one; exit 1, no stack trace, nothing recorded, nothing left', async () => {
    const before = (await row(backup.id)).verification;
    const other = await generateX25519Identity();
    const r = await cli(['backup', 'verify', 'prod'], { SLIPWAY_AGE_KEY: other });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error: cannot decrypt postgres/postgres/web_prod.pgdump.age of backup ${backup.id} of prod (from local): the age identity from SLIPWAY_AGE_KEY (${await identityToRecipient(other)}) is not one of its recipients (${manifest.recipients[0]})`,
    );
    expect(r.stderr).toMatch(/--identity FILE, SLIPWAY_AGE_IDENTITY_FILE, SLIPWAY_AGE_KEY/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain(other);
    expect((await row(backup.id)).verification).toEqual(before);
    expect(throwaways()).toEqual([]);
    // No key at all: says every way to give one.
    const none = await cli(['backup', 'verify', 'prod'], { SLIPWAY_AGE_KEY: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: verifying a backup of prod needs your age identity, and none was given/m);
    // --identity FILE with the right key works.
    writeFileSync(join(p.dir, 'age.key'), `# test key\n${identity}\n`);
    const viaFile = await cli(['backup', 'verify', 'prod', '--identity', 'age.key', '--json'], { SLIPWAY_AGE_KEY: other });
    expect(viaFile.code).toBe(0);
  }, 900_000);

  it('Ctrl-C during the restore: exit 130, the throwaways are removed, nothing recorded', async () => {
    const before = (await row(backup.id)).verification;
    const run = startSlipway(['backup', 'verify', 'prod'], { cwd: p.dir, env });
    let stderr = '';
    run.child.stderr!.on('data', (d) => (stderr += d));
    for (let i = 0; i < 2400 && !stderr.includes('→ verify postgres web_prod'); i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200 && throwaways().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(throwaways().length).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/error: verification of \S+ interrupted: nothing recorded, the throwaway containers were removed/);
    expect(throwaways()).toEqual([]);
    expect((await row(backup.id)).verification).toEqual(before);
  }, 900_000);

  it('a byte flipped in a stored object: verify from that destination fails (exit 1) naming the object; recorded as failed', async () => {
    const vol = manifest.objects.find((o) => o.kind === 'volume')!;
    const path = `/b/${objectKey(p.project, 'prod', backup.id, vol.key)}`;
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
      'c=$(dd if="$1" bs=1 skip=5000 count=1 2>/dev/null); b=X; [ "$c" = X ] && b=Y; printf %s "$b" | dd of="$1" bs=1 seek=5000 conv=notrunc 2>/dev/null',
      'sh',
      path,
    ]);
    const r = await cli(['backup', 'verify', 'prod', '--from', 'local']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `error: backup ${backup.id} of prod FAILED verification \\(read from local\\): ${vol.key.replace(/\./g, '\\.')} in local \\(volume \\S+ on local\\) differs from the manifest: ${vol.size} bytes, sha256 [0-9a-f]{12}…; the manifest says ${vol.size} bytes`,
      ),
    );
    expect(r.stdout).toMatch(/ok {6}postgres web_prod/);
    expect(r.stdout).toMatch(/FAILED {2}volume \S+-prod-web-media/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const listed = await row(backup.id);
    expect(listed.verification).toMatchObject({ result: 'failed', destination: 'local', detail: expect.stringContaining(`${vol.key} in local`) });
    expect((await cliOk(['backups', 'prod'])).stdout).toMatch(new RegExp(`${backup.id}\\s+prod\\s+.*\\s+failed \\d{4}-`));
    expect(throwaways()).toEqual([]);
  }, 900_000);

  it('a manifest whose table checksum differs and a media archive re-encrypted with a changed file (its sha256 in the manifest): verify names the table and the file', async () => {
    const m = structuredClone(manifest);
    const pg = m.objects.find((o) => o.kind === 'postgres')!.postgres!;
    const orders = pg.tables.find((t) => t.name === 'orders')!;
    orders.checksum = `${orders.checksum}1`;
    // The media archive with Übersicht.txt changed, re-encrypted, and the object's figures updated: only the file list can tell.
    const vol = m.objects.find((o) => o.kind === 'volume')!;
    const key = objectKey(p.project, 'prod', backup.id, vol.key);
    const tar = await decrypt(identity, await readAll(remote, key));
    const changed = await tarWith(tar, 'Übersicht.txt', Buffer.from('Grüße aus Bern!!!'));
    const enc = Buffer.concat(await (await encryptStream(Readable.from([changed]), m.recipients)).toArray());
    await remote.put(key, Readable.from([enc]));
    Object.assign(vol, { size: enc.length, sha256: sha(enc), plainSize: changed.length, plainSha256: sha(changed) });
    await remote.put(objectKey(p.project, 'prod', backup.id, MANIFEST_KEY), Readable.from([Buffer.from(serializeManifest(m))]));

    const r = await cli(['backup', 'verify', 'prod', '--from', 's3', '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as VerifyResult & { ok: boolean; error: string };
    expect(v).toMatchObject({ ok: false, result: 'failed', error: expect.stringMatching(/^backup \S+ of prod FAILED verification/) });
    expect(v.mismatches).toEqual([
      expect.stringMatching(/^table public\.orders: content differs \(checksum \S+, expected \S+1\)$/),
      `volume ${vol.volume!.volume}: file uploads/Übersicht.txt: content differs (sha256 ${sha(Buffer.from('Grüße aus Bern!!!')).slice(0, 12)}…, expected ${vol.volume!.files.find((f) => f.path === 'uploads/Übersicht.txt')!.sha256.slice(0, 12)}…)`,
    ]);
    expect(v.objects.map((o) => [o.kind, o.ok])).toEqual([
      ['postgres', false],
      ['redis', true],
      ['volume', false],
    ]);
    expect(v.error).toMatch(
      /^backup \S+ of prod FAILED verification \(read from s3\): table public\.orders: content differs .*; volume \S+: file uploads\/Übersicht\.txt: content differs/,
    );
    // --json: one document on stdout, nothing on stderr.
    expect(r.stderr).toBe('');
    expect((await row(backup.id)).verification).toMatchObject({ result: 'failed', destination: 's3' });
    // verified_at still says when it last passed.
    expect((await row(backup.id)).verifiedAt).toBeDefined();
    expect(throwaways()).toEqual([]);
  }, 900_000);
});
