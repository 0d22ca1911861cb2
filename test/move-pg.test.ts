// Postgres moves between servers (src/workflows/move/pg-*.ts) on the real engine: a Postgres 15
// source (wal_level=logical) and a Postgres 17 target on one network, a data set with two tables
// with primary keys (220k rows), a table without one, a serial sequence in use, a large object and
// an extension. Logical replication through the TCP relay (published on the network's gateway
// address, as the other server would reach it), rows inserted while it runs, the cutover steps
// (catch-up, sequences, large objects, the no-PK table), every table equal, ids that continue
// without collision, nothing left on the source; and the dump method on a second database.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { LABELS } from '../src/model/labels.ts';
import { Secret } from '../src/util/secret.ts';
import { compareTables, hashableOnBoth, type TableComparison } from '../src/workflows/move/pg-compare.ts';
import type { PgEndpoint } from '../src/workflows/move/pg-endpoint.ts';
import { chooseMethod, inspectDatabase } from '../src/workflows/move/pg-inspect.ts';
import { ensureRelay, removeRelay } from '../src/workflows/move/pg-relay.ts';
import {
  catchUp,
  copyLargeObjects,
  copySchema,
  copyTables,
  dumpRestore,
  replicationLag,
  startReplication,
  stopReplication,
  syncSequences,
} from '../src/workflows/move/pg-replicate.ts';
import { ensureImages } from './harness/engine.ts';
import { psqlIn } from './support/backup-world.ts';
import { cleanupProject, freePort, uniqueProject } from './support/project.ts';

const engine = new DockerodeEngine('local');
const project = uniqueProject('mvpg');
const network = `${project}-net`;
const srcName = `${project}-pg15`;
const dstName = `${project}-pg17`;
const superuser = new Secret('superuser-password-for-move-test', 'superuser');
const ownerPw = 'owner-password-for-move-test';
const replPw = new Secret('replication-password-for-move-test', 'replication');
const labels = { [LABELS.project]: project, [LABELS.env]: 'prod' };

const ep = (container: string, database: string): PgEndpoint => ({
  engine,
  server: 'local',
  container,
  database,
  owner: 'app_owner',
  admin: { network, password: superuser },
});

/** The database and its owner as Slipway's init SQL makes them. */
const setupDb = (
  db: string,
) => `SELECT 'CREATE ROLE app_owner LOGIN PASSWORD ''${ownerPw}''' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_owner') \\gexec
CREATE DATABASE ${db} OWNER app_owner;
REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO app_owner;
\\c ${db}
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO app_owner;`;

/** The data set, made as the owner: two tables with primary keys, one without, a serial in use, a large object, pgcrypto. */
const dataset = (scale: number) => `SET ROLE app_owner;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, city text, created_at timestamptz NOT NULL, score double precision);
INSERT INTO customers (name, city, created_at, score)
  SELECT 'client ' || i, (ARRAY['Zürich', 'Kraków', '東京', 'Αθήνα'])[1 + i % 4], timestamptz '2024-01-01 00:00:00+00' + (i || ' minutes')::interval, i / 7.0
  FROM generate_series(1, ${120_000 * scale}) i;
CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), amount numeric(12, 2) NOT NULL, digest bytea, note text);
INSERT INTO orders (customer_id, amount, digest, note)
  SELECT 1 + (i * 7919) % ${120_000 * scale}, round(((i * 37) % 100000)::numeric / 100, 2), CASE WHEN i % 10 = 0 THEN digest('row ' || i, 'sha256') END,
         CASE WHEN i % 7 = 0 THEN 'Lieferung für Müller — „eilig“ ✓' END
  FROM generate_series(1, ${100_000 * scale}) i;
CREATE TABLE events (at timestamptz NOT NULL, kind text NOT NULL, payload jsonb);
INSERT INTO events SELECT timestamptz '2024-06-01 00:00:00+00' + (i || ' seconds')::interval, (ARRAY['login', 'view', 'buy'])[1 + i % 3], jsonb_build_object('n', i)
  FROM generate_series(1, ${30_000 * scale}) i;
CREATE TABLE documents (id serial PRIMARY KEY, title text, blob oid);
INSERT INTO documents (title, blob) VALUES ('Übersicht.pdf', lo_from_bytea(0, decode(repeat(md5('slipway'), 16384), 'hex')));
RESET ROLE;
ANALYZE;`;

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

async function startPostgres(name: string, image: string, args: string[]): Promise<void> {
  await engine.createContainer({
    name,
    image,
    cmd: ['postgres', ...args],
    env: { POSTGRES_PASSWORD: superuser },
    labels,
    networks: [{ name: network, aliases: [] }],
    mounts: [],
    restart: 'no',
    stopTimeoutS: 2,
  });
  await engine.startContainer(name);
  for (let i = 0; i < 600; i++) {
    const r = await engine.exec(name, ['pg_isready', '-q', '-h', '127.0.0.1', '-U', 'postgres']);
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${name} is not ready`);
}

const count = (container: string, db: string, sql: string) => Number(psqlIn(container, db, sql));
const printTable = (rows: TableComparison[]) =>
  rows.map((r) => `  ${r.table}: ${r.srcRows} / ${r.dstRows} rows, ${r.equal ? 'equal' : `DIFFER ${r.srcSum} ${r.dstSum}`}`).join('\n');

describe('moving a Postgres database', () => {
  beforeAll(async () => {
    await ensureImages(['postgres15', 'postgres17']);
    await engine.createNetwork({ name: network, labels });
    await Promise.all([startPostgres(srcName, 'postgres:15', ['-c', 'wal_level=logical']), startPostgres(dstName, 'postgres:17', [])]);
    for (const [c, dbs] of [
      [srcName, ['app', 'app2']],
      [dstName, ['app', 'app2']],
    ] as const)
      for (const db of dbs) psqlIn(c, 'postgres', setupDb(db));
    psqlIn(srcName, 'app', dataset(1));
    psqlIn(srcName, 'app2', dataset(0.2));
  }, 600_000);

  afterAll(async () => {
    await removeRelay(engine, project, 'prod').catch(() => undefined);
    for (const c of [srcName, dstName]) await engine.removeContainer(c, { force: true, volumes: true }).catch(() => undefined);
    await cleanupProject(project);
  }, 120_000);

  it('replicates 15 → 17 through the relay, cuts over with every table equal, and leaves nothing on the source', async () => {
    const src = ep(srcName, 'app');
    const dst = ep(dstName, 'app');
    const [si, di] = await Promise.all([inspectDatabase(src), inspectDatabase(dst)]);
    expect(si.major).toBe(15);
    expect(di.major).toBe(17);
    expect(si.walLevel).toBe('logical');
    expect(si.extensions).toContain('pgcrypto');
    expect(si.largeObjects).toBe(1);
    expect(si.sequences.map((s) => s.name).sort()).toEqual(['customers_id_seq', 'documents_id_seq', 'orders_id_seq']);
    const method = chooseMethod(si, di);
    console.log(`method: ${method.method} — ${method.reason}`);
    expect(method.method).toBe('logical');
    expect(method.copyAtCutover).toEqual(['public.events']);
    expect(() => chooseMethod(di, si)).toThrow(/older than the source/);
    expect(chooseMethod({ ...si, walLevel: 'replica' }, di).method).toBe('dump');

    expect(await copySchema(src, dst)).toEqual({ applied: true });
    expect(await copySchema(src, dst)).toEqual({ applied: false });
    expect(psqlIn(dstName, 'app', "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")).toBe('app_owner');

    // The relay on the network's gateway address: what the other server would connect to.
    const gateway = docker(['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}']);
    const port = await freePort();
    const relayOpts = { project, env: 'prod', pgContainer: srcName, network, bindAddress: gateway, port, image: 'postgres:15' };
    src.reach = await ensureRelay(engine, relayOpts);
    const relayId = docker(['inspect', '--format', '{{.Id}}', `${project}-prod-move-relay`]);
    expect(await ensureRelay(engine, relayOpts)).toEqual({ host: gateway, port });
    expect(docker(['inspect', '--format', '{{.Id}}', `${project}-prod-move-relay`])).toBe(relayId);
    // A second move from this server at once (another environment) gets the next free port, and keeps it.
    const other = await ensureRelay(engine, { ...relayOpts, env: 'staging', pgContainer: srcName, portsToTry: 4 });
    expect(other.port).toBeGreaterThan(port);
    expect(other.port).toBeLessThanOrEqual(port + 3);
    expect(await ensureRelay(engine, { ...relayOpts, env: 'staging', pgContainer: srcName, portsToTry: 4 })).toEqual(other);
    await removeRelay(engine, project, 'staging');
    const through = await engine.exec(
      dstName,
      ['psql', '-X', '-A', '-t', '-h', gateway, '-p', String(port), '-U', 'postgres', '-d', 'app', '-c', 'SELECT version()'],
      { env: { PGPASSWORD: superuser } },
    );
    expect(through.stdout).toContain('PostgreSQL 15');

    const t0 = Date.now();
    await startReplication(src, dst, { name: 'slipway_move', password: replPw, exclude: method.copyAtCutover });
    await startReplication(src, dst, { name: 'slipway_move', password: replPw, exclude: method.copyAtCutover });
    for (;;) {
      const lag = await replicationLag(src, dst, 'slipway_move');
      if (lag.initialSyncDone) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const initialSyncMs = Date.now() - t0;

    // Writes while replicating: new orders, an update, a delete, events (not replicated), a second large object.
    psqlIn(
      srcName,
      'app',
      `SET ROLE app_owner;
INSERT INTO orders (customer_id, amount) SELECT i, 1.5 FROM generate_series(1, 5000) i;
UPDATE customers SET city = 'Genève' WHERE id % 1000 = 0;
DELETE FROM orders WHERE id % 997 = 0;
INSERT INTO events SELECT now(), 'late', NULL FROM generate_series(1, 100);
INSERT INTO documents (title, blob) VALUES ('late.bin', lo_from_bytea(0, '\\x0102'));`,
    );
    // The cutover: writes held (nothing writes now), catch up, then what replication does not carry.
    const caught = await catchUp(src, dst, 'slipway_move', 60_000);
    const seq = await syncSequences(src, dst);
    const los = await copyLargeObjects(src, dst);
    const copied = await copyTables(src, dst, method.copyAtCutover);
    const cmp = await compareTables(src, dst);
    console.log(printTable(cmp));
    const rows = cmp.filter((r) => r.table !== 'large objects').reduce((n, r) => n + r.srcRows, 0);
    console.log(
      `rows ${rows}; initial sync ${initialSyncMs} ms; catch-up ${caught.waitedMs} ms; sequences ${seq.sequences}; large objects ${los.copied}/${los.total}; copied at cutover ${copied.map((c) => `${c.table} ${c.bytes} B`).join(', ')}`,
    );
    expect(rows).toBeGreaterThanOrEqual(200_000);
    expect(cmp.map((r) => r.table)).toEqual(['public.customers', 'public.documents', 'public.events', 'public.orders', 'large objects']);
    expect(cmp.every((r) => r.equal)).toBe(true);
    expect(cmp.find((r) => r.table === 'large objects')?.dstRows).toBe(2);
    expect(await copyLargeObjects(src, dst)).toEqual({ copied: 0, removed: 0, total: 2 });
    // By value (hash_record_extended, 15 → 17): the tables whose column types all hash compare
    // equal the same way, and a changed value is seen.
    const hashed = await hashableOnBoth(src, dst);
    console.log(`compared by value: ${hashed.join(', ')}`);
    expect(hashed).toEqual(expect.arrayContaining(['public.customers', 'public.orders']));
    const byValue = await compareTables(src, dst, { except: method.copyAtCutover, largeObjects: false, hashed });
    expect(byValue.filter((r) => !r.equal)).toEqual([]);
    expect(byValue.find((r) => r.table === 'public.orders')?.srcSum).not.toBe(cmp.find((r) => r.table === 'public.orders')?.srcSum);
    psqlIn(dstName, 'app', "SET ROLE app_owner; UPDATE customers SET city = 'Lyon' WHERE id = (SELECT min(id) FROM customers)");
    const changed = await compareTables(src, dst, { except: method.copyAtCutover, largeObjects: false, hashed });
    expect(changed.filter((r) => !r.equal).map((r) => r.table)).toEqual(['public.customers']);

    // Ids continue on the target without colliding with the source's.
    const maxId = count(srcName, 'app', 'SELECT max(id) FROM orders');
    const next = count(dstName, 'app', "SELECT nextval('orders_id_seq')");
    expect(next).toBe(maxId + 1);
    psqlIn(dstName, 'app', 'SET ROLE app_owner; INSERT INTO orders (customer_id, amount) VALUES (1, 2.5)');

    await stopReplication(src, dst, 'slipway_move');
    await stopReplication(src, dst, 'slipway_move');
    expect(count(srcName, 'app', 'SELECT count(*) FROM pg_replication_slots')).toBe(0);
    expect(count(srcName, 'app', 'SELECT count(*) FROM pg_publication')).toBe(0);
    expect(count(srcName, 'app', "SELECT count(*) FROM pg_roles WHERE rolname = 'slipway_move'")).toBe(0);
    expect(count(dstName, 'app', 'SELECT count(*) FROM pg_subscription')).toBe(0);

    await removeRelay(engine, project, 'prod');
    expect(docker(['ps', '-a', '--filter', `label=slipway.project=${project}`, '--filter', 'label=slipway.role=move-relay', '--format', '{{.Names}}'])).toBe(
      '',
    );
  }, 600_000);

  it('copies a database by dump and restore, again from scratch when run twice', async () => {
    const src = ep(srcName, 'app2');
    const dst = ep(dstName, 'app2');
    const first = await dumpRestore(src, dst);
    psqlIn(dstName, 'app2', 'SET ROLE app_owner; INSERT INTO events VALUES (now(), $$stray$$, NULL)');
    const again = await dumpRestore(src, dst);
    const cmp = await compareTables(src, dst);
    console.log(`dump/restore: ${first.bytes} B in ${first.ms} ms, again in ${again.ms} ms\n${printTable(cmp)}`);
    expect(cmp.length).toBe(5);
    expect(cmp.every((r) => r.equal)).toBe(true);
    expect(psqlIn(dstName, 'app2', "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")).toBe('app_owner');
  }, 600_000);
});
