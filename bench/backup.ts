// bench/backup.ts — what `slipway backup` costs against the floor, on the real engine, in one run.
// One Postgres 15 instance (the look-alike image) holds two databases of the same shape, ~250 MB
// (env `small`) and ~1.1 GB (env `large`): three tables made by generate_series (one without a
// primary key, non-ASCII text, md5 text so the dump does not compress to nothing) and a sequence.
// Side by side, alternating (ABBA) so both share the machine's noise, on `large`:
//   raw:     `pg_dump -Fc … > /dev/null` in a one-off container of the instance's image on the
//            environment's network — the container Slipway's dump runs in (postgres-source.ts's
//            pgContainer), created, run and removed;
//   slipway: `slipway backup large` as a child process (the CLI bundle of the current sources, as
//            users run it): lock, leftovers, the snapshot session that counts and checksums every
//            table in the dump's snapshot, pg_dump -Fc streamed through age (typage) and sha256 to
//            the `local` destination (the server's backup volume), the copy's size and sha256
//            checked where it lies, the manifest and the record.
// Printed: each method's median wall time, throughput (database size / time) and the ratio
// raw/slipway (target ≥ 0.9); the Slipway process's peak RSS (VmHWM, from a preload) for a backup
// of each size (target: flat as the database grows); the time of `slipway backup verify` (the RTO
// of one environment) when the CLI has it.
// The data set is generated once and kept (project `benchbackup`, its volumes labelled
// slipway.project=benchbackup; the fleet, the age identity and the CLI bundle under
// node_modules/.cache/slipway-bench-backup), so a rerun starts measuring at once. Remove it with:
//   npx tsx bench/backup.ts --clean
// Run:
//   npx tsx bench/backup.ts [--rounds N (default 2, i.e. 4 runs per method)] [--large-scale N (default 10, ~115 MB each)]
// No thresholds; exits non-zero only if a backup or a dump fails. Each backup is pruned after it runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { bundleStaleness, ROOT } from '../bin/bundle.mjs';
import type { BackupRecord } from '../src/backup/record.ts';
import { loadFleet } from '../src/config/load.ts';
import { defaultConnector } from '../src/engine/connect.ts';
import { desire } from '../src/plan/desire/desire.ts';
import { pgContainer, pgTarget } from '../src/workflows/backup/postgres-source.ts';
import { readRecords } from '../src/workflows/backup/records.ts';
import { loadRedisAllocations } from '../src/workflows/redis-allocations.ts';
import { createReporter } from '../src/workflows/reporter.ts';
import { type ServerRun, serverRun } from '../src/workflows/server-run.ts';
import { StateStore } from '../src/workflows/state-store.ts';
import { ensureEngine, ensureImages } from '../test/harness/engine.ts';
import { cleanupProject, freePort } from '../test/support/project.ts';

const PROJECT = 'benchbackup';
const CACHE = `${ROOT}node_modules/.cache/slipway-bench-backup`;
const CLI_DIR = `${CACHE}/cli`;
const FLEET = join(CACHE, 'slipway.yaml');
const IDENTITY = join(CACHE, 'age-identity.txt');
const PG = `${PROJECT}-postgres`;
/** One scale unit: 100k customers, 600k orders, 300k events (~115 MB with indexes). */
const SMALL_SCALE = 2;

interface Options {
  rounds: number;
  largeScale: number;
  clean: boolean;
}

function args(argv: string[]): Options {
  const out: Options = { rounds: 2, largeScale: 10, clean: false };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--clean') out.clean = true;
    else if (argv[i] === '--rounds' && Number.isInteger(v) && v >= 1) (out.rounds = v), i++;
    else if (argv[i] === '--large-scale' && Number.isInteger(v) && v > SMALL_SCALE) (out.largeScale = v), i++;
    else throw new Error(`usage: npx tsx bench/backup.ts [--rounds N] [--large-scale N (> ${SMALL_SCALE})] | --clean; got ${argv[i]}`);
  }
  return out;
}

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function fleetYaml(recipient: string, port: number): string {
  return [
    `project: ${PROJECT}`,
    'servers:',
    `  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }`,
    'environments:',
    // `last: 1` and a prune after each run: the backup volume holds one copy per size.
    '  small: { server: local, deploy: any, tls: "off", backup: { what: [postgres], to: { local: { last: 1 } } } }',
    '  large: { server: local, deploy: any, tls: "off", backup: { what: [postgres], to: { local: { last: 1 } } } }',
    'backups:',
    `  recipients: [${recipient}]`,
    'services:',
    '  postgres: { image: postgres:15, scope: server, memory: 1GiB }',
    'apps:',
    '  web:',
    '    image: nginx:1.27',
    '    uses: [postgres]',
    '    processes:',
    '      web: { port: 80, health: /, memory: 64MiB }',
    '',
  ].join('\n');
}

/** The data set at `scale`; numbers only go into the text. */
function datasetSql(scale: number): string {
  const customers = scale * 100_000;
  return `SET synchronous_commit = off;
DROP TABLE IF EXISTS bench_meta, orders, customers, events;
DROP SEQUENCE IF EXISTS invoice_no;
CREATE SEQUENCE invoice_no START 1000;
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text, city text, created_at timestamptz NOT NULL);
INSERT INTO customers SELECT i, 'client ' || i, md5(i::text) || '@example.test', (ARRAY['Zürich', 'Genève', 'Kraków', 'São Paulo', '東京', 'Αθήνα'])[1 + i % 6],
  timestamptz '2024-01-01 00:00:00+00' + (i || ' seconds')::interval FROM generate_series(1::bigint, ${customers}) i;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, invoice bigint NOT NULL DEFAULT nextval('invoice_no'), amount numeric(12, 2) NOT NULL, note text);
INSERT INTO orders (id, customer_id, amount, note) SELECT i, 1 + (i * 7919) % ${customers}, round(((i * 37) % 100000)::numeric / 100, 2),
  md5(i::text) || CASE WHEN i % 10 = 0 THEN ' Lieferung für Müller — „eilig“' ELSE '' END FROM generate_series(1::bigint, ${scale * 600_000}) i;
CREATE TABLE events (at timestamptz NOT NULL, kind text NOT NULL, payload jsonb);
INSERT INTO events SELECT timestamptz '2024-06-01 00:00:00+00' + (i || ' seconds')::interval, (ARRAY['login', 'view', 'buy', 'ログアウト'])[1 + i % 4],
  jsonb_build_object('n', i, 'h', md5((i * 3)::text)) FROM generate_series(1::bigint, ${scale * 300_000}) i;
CREATE TABLE bench_meta (scale int NOT NULL);
INSERT INTO bench_meta VALUES (${scale});
VACUUM ANALYZE;
`;
}

function psql(db: string, sql: string): string {
  const r = spawnSync('docker', ['exec', '-i', '-u', 'postgres', PG, 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db], {
    input: sql,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`psql on ${db} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The CLI as a child process (the bundle, else bin/slipway.mjs); its wall time and peak RSS. */
async function cli(
  argv: string[],
  bundle: string | undefined,
): Promise<{ code: number; stdout: string; stderr: string; wallMs: number; rssKiB: number; cpuMs: number }> {
  const rssFile = join(CACHE, `rss-${process.pid}.txt`);
  rmSync(rssFile, { force: true });
  const node = ['--import', `${ROOT}bench/lib/max-rss.mjs`, ...(bundle ? [`${ROOT}bench/lib/run-bundle.mjs`, bundle] : [`${ROOT}bin/slipway.mjs`]), ...argv];
  const t = performance.now();
  const child = spawn(process.execPath, node, {
    cwd: CACHE,
    env: { ...process.env, NO_COLOR: '1', BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  const wallMs = performance.now() - t;
  // "VmHWM-KiB user-ms system-ms" (bench/lib/max-rss.mjs).
  const [hwm, user, sys] = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split(' ').map(Number) : [];
  return { code, stdout, stderr, wallMs, rssKiB: hwm ?? Number.NaN, cpuMs: (user ?? Number.NaN) + (sys ?? Number.NaN) };
}

async function cliOk(argv: string[], bundle: string | undefined) {
  const r = await cli(argv, bundle);
  if (r.code !== 0) throw new Error(`slipway ${argv.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

function buildCli(): { bundle?: string; says: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [`${ROOT}scripts/build-cli.mjs`, CLI_DIR], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0 && !out.includes('could not prebuild') && existsSync(`${CLI_DIR}/slipway.cjs`))
    return { bundle: `${CLI_DIR}/slipway.cjs`, says: `a bundle of the current sources, built now (${ms(performance.now() - t)})` };
  const stale = bundleStaleness();
  return {
    says: `bin/slipway.mjs (the bundle could not be built: ${out.split('\n')[0]}); it runs ${stale === undefined ? 'dist/slipway.cjs' : 'the SOURCES THROUGH TSX, so RSS includes the TypeScript loader'}`,
  };
}

async function serverRunOf(): Promise<ServerRun> {
  const loaded = loadFleet(FLEET);
  if (!loaded.fleet) throw new Error(`bench fleet is invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  const fleet = loaded.fleet;
  const conn = await defaultConnector(fleet.servers[0]!);
  const redisAllocations = await loadRedisAllocations(new StateStore(conn.engine, fleet.project));
  return serverRun(fleet, desire(fleet, { redisAllocations }), conn, createReporter(null, Date.now), Date.now);
}

/**
 * CPU time (ms) a container has used so far, from its cgroup (v1 cpuacct, else v2 cpu.stat), or
 * NaN when neither is readable. Read before and after a run for the Postgres server: the dump's
 * COPY and the checksum session both run there.
 */
function containerCpuMs(id: string): number {
  for (const [file, parse] of [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, (t: string) => Number(t) / 1e6],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, (t: string) => Number(/usage_usec (\d+)/.exec(t)?.[1]) / 1e3],
  ] as const)
    if (existsSync(file)) return parse(readFileSync(file, 'utf8'));
  return Number.NaN;
}

/** The floor: pg_dump -Fc to /dev/null in the container Slipway's dump runs in. */
async function rawDump(run: ServerRun, env: string): Promise<number> {
  const db = run.state.databases.find((d) => d.env === env)!;
  const t = await pgTarget(run, env, db);
  const argv = ['sh', '-c', 'exec pg_dump -Fc "$@" > /dev/null', 'sh', '-h', t.host, '-p', String(t.port), '-U', 'postgres', '-d', db.database];
  const t0 = performance.now();
  const r = await run.conn.engine.runOnce(pgContainer(run, t, 'bench-raw-dump', argv), { timeoutMs: 3_600_000 });
  if (r.exitCode !== 0) throw new Error(`raw pg_dump of ${db.database} exited ${r.exitCode}: ${r.logs.trim()}`);
  return performance.now() - t0;
}

interface SlipwayRun {
  wallMs: number;
  rssKiB: number;
  /** CPU time of the Slipway process itself (user + system): age, sha256, the streams. */
  cpuMs: number;
  /** The dump step as the CLI printed it (pg_dump → age → local, checked). */
  dumpStep: string;
  record: BackupRecord;
}

async function slipwayBackup(run: ServerRun, env: string, bundle: string | undefined): Promise<SlipwayRun> {
  const r = await cliOk(['backup', env], bundle);
  const step = /✓ postgres \S+ \(([^)]+)\)/.exec(r.stderr)?.[1] ?? '?';
  const record = (await readRecords(run, env))[0]!;
  if (record.status !== 'ok') throw new Error(`backup of ${env} is ${record.status}: ${record.error}`);
  await cliOk(['backup', 'prune', env], bundle);
  return { wallMs: r.wallMs, rssKiB: r.rssKiB, cpuMs: r.cpuMs, dumpStep: step, record };
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  await ensureEngine();
  if (o.clean) {
    await cleanupProject(PROJECT, CACHE);
    console.log(`removed project ${PROJECT} (containers, networks, volumes) and ${CACHE}`);
    return;
  }
  await ensureImages(['caddy', 'postgres15', 'nginx']);
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(IDENTITY)) writeFileSync(IDENTITY, `${await generateX25519Identity()}\n`, { mode: 0o600 });
  const identity = readFileSync(IDENTITY, 'utf8').trim();
  if (!existsSync(FLEET)) writeFileSync(FLEET, fleetYaml(await identityToRecipient(identity), await freePort()));

  console.log('bench/backup.ts — slipway backup (pg_dump -Fc → age → local volume, checked) against a raw pg_dump -Fc > /dev/null');
  console.log(`  machine: ${availableParallelism()} CPUs, load average ${load()} (other work on the machine shares it)`);
  const cliBuild = buildCli();
  console.log(`  CLI: ${cliBuild.says}`);
  const bundle = cliBuild.bundle;
  const tUp = performance.now();
  await cliOk(['up'], bundle);
  console.log(`  slipway up: ${ms(performance.now() - tUp)}`);

  const sizes = new Map<string, number>();
  for (const [env, scale] of [
    ['small', SMALL_SCALE],
    ['large', o.largeScale],
  ] as const) {
    const db = `web_${env}`;
    const have = psql(db, "SELECT to_regclass('bench_meta') IS NOT NULL") === 't' ? psql(db, 'SELECT scale FROM bench_meta') : '0';
    if (Number(have) !== scale) {
      const t = performance.now();
      process.stdout.write(`  generating ${db} at scale ${scale} … `);
      psql(db, datasetSql(scale));
      console.log(ms(performance.now() - t));
    }
    sizes.set(env, Number(psql(db, 'SELECT pg_database_size(current_database())')));
  }
  console.log(`  data: web_small ${mb(sizes.get('small')!)}, web_large ${mb(sizes.get('large')!)} (pg_database_size), cached in project ${PROJECT}'s volumes`);

  const run = await serverRunOf();
  // Warm-up (not counted), on the small database: images, helpers and code paths of both methods.
  await rawDump(run, 'small');
  await slipwayBackup(run, 'small', bundle);

  const pgId = (await run.conn.engine.inspectContainer(PG)).id;
  const raw: number[] = [];
  const slip: SlipwayRun[] = [];
  for (let i = 0; i < o.rounds; i++)
    for (const m of i % 2 === 0 ? (['raw', 'slipway'] as const) : (['slipway', 'raw'] as const)) {
      const cpu0 = containerCpuMs(pgId);
      if (m === 'raw') {
        const t = await rawDump(run, 'large');
        raw.push(t);
        console.log(`  round ${i + 1} raw:     ${ms(t)} (CPU of the Postgres server ${ms(containerCpuMs(pgId) - cpu0)})`);
      } else {
        const s = await slipwayBackup(run, 'large', bundle);
        slip.push(s);
        console.log(
          `  round ${i + 1} slipway: ${ms(s.wallMs)} (dump step ${s.dumpStep}; dump ${mb(s.record.plainBytes)}, stored ${mb(s.record.bytes)}; peak RSS ${(s.rssKiB / 1024).toFixed(0)} MiB; CPU of the slipway process ${ms(s.cpuMs)}, of the Postgres server ${ms(containerCpuMs(pgId) - cpu0)})`,
        );
      }
    }
  const small = [await slipwayBackup(run, 'small', bundle), await slipwayBackup(run, 'small', bundle)];

  const large = sizes.get('large')!;
  const rawMs = median(raw);
  const slipMs = median(slip.map((s) => s.wallMs));
  console.log('');
  console.log(`throughput on web_large (${mb(large)}; dump ${mb(slip[0]!.record.plainBytes)}), median of ${raw.length} runs each:`);
  console.log(`  raw pg_dump -Fc > /dev/null: ${ms(rawMs)}  ${(large / 1e6 / (rawMs / 1000)).toFixed(1)} MB/s`);
  console.log(
    `  slipway backup large:        ${ms(slipMs)}  ${(large / 1e6 / (slipMs / 1000)).toFixed(1)} MB/s (whole CLI run: startup, lock, snapshot + checksums, age, local copy checked, manifest, record)`,
  );
  console.log(`  ratio slipway/raw throughput: ${(rawMs / slipMs).toFixed(2)}x (target >= 0.9x)`);
  console.log('peak RSS of the slipway process (VmHWM):');
  const rss = (xs: SlipwayRun[]) => `${(median(xs.map((s) => s.rssKiB)) / 1024).toFixed(0)} MiB`;
  console.log(`  web_small (${mb(sizes.get('small')!)}, dump ${mb(small[0]!.record.plainBytes)}): ${rss(small)}`);
  console.log(`  web_large (${mb(large)}, dump ${mb(slip[0]!.record.plainBytes)}): ${rss(slip)}`);

  // `backup verify` (the RTO of one environment), when this CLI has it.
  const help = await cli(['backup', 'verify', '--help'], bundle);
  if (help.code !== 0 || !/verify/.test(help.stdout)) console.log('verify: not available yet');
  else {
    await slipwayBackup(run, 'large', bundle);
    const v = await cli(['backup', 'verify', '--latest', 'large', '--identity', IDENTITY], bundle);
    if (v.code !== 0) throw new Error(`backup verify --latest large exited ${v.code}\n${v.stdout}${v.stderr}`);
    console.log(`verify (RTO of web_large, ${mb(large)}): ${ms(v.wallMs)} (peak RSS ${(v.rssKiB / 1024).toFixed(0)} MiB)`);
  }
  console.log(`  load average at the end: ${load()}`);
  await run.conn.close();
}

await main();
