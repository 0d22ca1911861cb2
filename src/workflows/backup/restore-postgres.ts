// A Postgres database restored for real, in two phases so that a failure never leaves a half
// database behind (docs/decisions.md, "Restore: a new database, then a swap"):
// - prepare: a new database `{db}__restore_{hex}` owned by the TARGET environment's role, the dump
//   streamed into it by pg_restore (`--no-owner --no-acl --role=ROLE`: every object is created by,
//   and owned by, the target's role, never the dump's), its tables counted and checksummed and
//   compared with the manifest, then the scrub SQL run in it as the target's role (a login of that
//   role, so it cannot reach any other database);
// - swap: in one transaction the target database is renamed aside and the new one takes its name;
//   the old one is dropped.
// While it runs, the target database accepts no connection (ALLOW_CONNECTIONS false) and every
// session of the target's role is ended: nothing writes to it but the restore.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ManifestObject } from '../../backup/manifest.ts';
import { compareTables, parseTableChecksums, TABLE_CHECKSUMS_SQL } from '../../backup/pg-checksums.ts';
import { UserError } from '../../diag/errors.ts';
import type { DatabaseSpec } from '../../plan/desire/desired.ts';
import { quoteIdent, quoteLiteral } from '../../render/sql.ts';
import type { ServerRun } from '../server-run.ts';
import { pgContainer, pgTarget } from './postgres-source.ts';
import { startProgress } from './progress.ts';
import type { BackupSource } from './restore-read.ts';

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');

/** Runs SQL as the superuser inside the instance (local socket); its `-A -t` output. */
export async function psqlAdmin(run: ServerRun, instance: string, db: string, sql: string, what: string): Promise<string> {
  const r = await run.conn.engine.exec(instance, ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', db], {
    stdin: sql,
    user: 'postgres',
  });
  if (r.exitCode !== 0) throw new Error(`${what} failed on ${instance} (psql exited ${r.exitCode}): ${lastLines(r.stderr)}`);
  return r.stdout.trim();
}

const instanceName = (run: ServerRun, db: DatabaseSpec): string => {
  const c = run.state.containers.find((x) => x.key === db.instance);
  if (!c) throw new UserError(`${run.conn.server.name}: no Postgres instance for ${db.database}`, 'run slipway up first');
  return c.name;
};

/** The target database exists, and its server's major version can take the dump. */
export async function checkPgTarget(run: ServerRun, db: DatabaseSpec, obj: ManifestObject): Promise<void> {
  const inst = instanceName(run, db);
  const out = await psqlAdmin(
    run,
    inst,
    'postgres',
    `SELECT current_setting('server_version_num') || ' ' || (SELECT count(*) FROM pg_database WHERE datname = ${quoteLiteral(db.database)});`,
    `checking ${db.database}`,
  ).catch((e) => {
    throw new UserError(`${run.conn.server.name}: Postgres ${inst} does not answer: ${(e as Error).message}`, 'run slipway up (and check slipway status)');
  });
  const [num, exists] = out.split(' ').map(Number) as [number, number];
  if (!exists) throw new UserError(`database ${db.database} does not exist on ${inst}`, `create it with: slipway up`);
  const from = obj.postgres!.serverVersionNum;
  if (Math.floor(num / 10000) < Math.floor(from / 10000))
    throw new UserError(
      `${obj.key} was dumped from Postgres ${obj.postgres!.serverVersion}; ${inst} runs ${Math.floor(num / 10000)}, which cannot read it`,
      'restore into an instance of the same or a newer major version',
    );
}

export interface PreparedDb {
  target: DatabaseSpec;
  instance: string;
  /** The restored copy, not yet in place. */
  copy: string;
  tables: number;
  bytes: number;
}

const copyName = (db: string, kind: 'restore' | 'replaced', hex: string) => `${db.slice(0, 40)}__${kind}_${hex}`;

/** Ends every session of the target's role and closes its database to new ones. */
export async function blockDb(run: ServerRun, db: DatabaseSpec): Promise<void> {
  await psqlAdmin(
    run,
    instanceName(run, db),
    'postgres',
    `ALTER DATABASE ${quoteIdent(db.database)} ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE (datname = ${quoteLiteral(db.database)} OR usename = ${quoteLiteral(db.user)}) AND pid <> pg_backend_pid();`,
    `closing ${db.database} to connections`,
  );
}

/** Opens the target database again (after a failure before the swap). */
export async function unblockDb(run: ServerRun, db: DatabaseSpec): Promise<void> {
  await psqlAdmin(run, instanceName(run, db), 'postgres', `ALTER DATABASE ${quoteIdent(db.database)} ALLOW_CONNECTIONS true;`, `opening ${db.database}`);
}

/** Copies a killed restore left (`{db}__restore_…`, `{db}__replaced_…`) are dropped. */
export async function dropLeftoverCopies(run: ServerRun, db: DatabaseSpec): Promise<string[]> {
  const prefix = db.database.slice(0, 40).replace(/[_%\\]/g, '\\$&');
  const names = (
    await psqlAdmin(
      run,
      instanceName(run, db),
      'postgres',
      `SELECT datname FROM pg_database WHERE datname LIKE ${quoteLiteral(`${prefix}\\_\\_restore\\_%`)} OR datname LIKE ${quoteLiteral(`${prefix}\\_\\_replaced\\_%`)};`,
      'listing leftover copies',
    )
  )
    .split('\n')
    .filter(Boolean);
  for (const n of names) await psqlAdmin(run, instanceName(run, db), 'postgres', `DROP DATABASE IF EXISTS ${quoteIdent(n)} WITH (FORCE);`, `dropping ${n}`);
  return names;
}

/** Restores the dump into a new database owned by the target's role, checks it against the manifest, runs the scrub. */
export async function prepareDb(
  run: ServerRun,
  src: BackupSource,
  obj: ManifestObject,
  db: DatabaseSpec,
  scrub: { path: string; sql: string } | undefined,
): Promise<PreparedDb> {
  const inst = instanceName(run, db);
  const copy = copyName(db.database, 'restore', randomBytes(3).toString('hex'));
  const role = quoteIdent(db.user);
  await psqlAdmin(
    run,
    inst,
    'postgres',
    `CREATE DATABASE ${quoteIdent(copy)} OWNER ${role};
REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(copy)} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(copy)} TO ${role};
\\connect ${quoteIdent(copy)}
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO ${role};`,
    `creating ${copy}`,
  );
  const prepared: PreparedDb = { target: db, instance: inst, copy, tables: 0, bytes: obj.plainSize };
  try {
    const t = await pgTarget(run, db.env, db);
    const progress = startProgress(run.report, `pg_restore ${db.database}`, run.now, obj.plainSize);
    const read = await src.open(obj, (n) => progress.update(n));
    try {
      const pr = await run.conn.engine.runStreaming(
        pgContainer(run, t, 'restore-pg', [
          'pg_restore',
          '--no-owner',
          '--no-acl',
          `--role=${db.user}`,
          '--exit-on-error',
          '-h',
          t.host,
          '-p',
          String(t.port),
          '-U',
          'postgres',
          '-d',
          copy,
        ]),
        { stdin: read.stream },
      );
      pr.stdout.resume();
      const r = await pr.done;
      if (r.exitCode !== 0) throw new Error(`pg_restore of ${obj.key} into ${copy} failed (exit ${r.exitCode}): ${lastLines(r.stderr)}`);
      await read.check();
    } finally {
      progress.stop();
    }
    const tables = parseTableChecksums(await psqlAdmin(run, inst, copy, TABLE_CHECKSUMS_SQL, `counting the tables of ${copy}`));
    const diff = compareTables(obj.postgres!.tables, tables);
    if (diff.length) throw new Error(`the restored ${db.database} does not match the backup's manifest: ${diff.slice(0, 5).join('; ')}`);
    prepared.tables = tables.filter((x) => x.kind === 'table').length;
    if (scrub) await runScrub(run, db, copy, scrub);
    return prepared;
  } catch (e) {
    await psqlAdmin(run, inst, 'postgres', `DROP DATABASE IF EXISTS ${quoteIdent(copy)} WITH (FORCE);`, `dropping ${copy}`).catch(() => undefined);
    throw e;
  }
}

/** The scrub failed: no data of the backup went into the target. */
export class ScrubError extends UserError {}

/** The scrub SQL, in one transaction, as a login of the target's own role (not the superuser): it sees its database only. */
async function runScrub(run: ServerRun, db: DatabaseSpec, copy: string, scrub: { path: string; sql: string }): Promise<void> {
  const t = await pgTarget(run, db.env, db);
  const pw = await run.store.getSecret(db.passwordSecret);
  if (!pw) throw new UserError(`${run.conn.server.name}: the password of ${db.user} is not in the server's state`, 'run slipway up first');
  const spec = pgContainer(run, t, 'restore-scrub', [
    'psql',
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '--single-transaction',
    '-h',
    t.host,
    '-p',
    String(t.port),
    '-U',
    db.user,
    '-d',
    copy,
  ]);
  spec.env = { PGPASSWORD: pw, PGCONNECT_TIMEOUT: '20' };
  const r = await run.conn.engine.runStreaming(spec, { stdin: Readable.from([Buffer.from(scrub.sql)]) });
  r.stdout.resume();
  const done = await r.done;
  if (done.exitCode !== 0)
    throw new ScrubError(
      `the scrub ${scrub.path} failed in ${db.database} as ${db.user} (psql exited ${done.exitCode}): ${lastLines(done.stderr.replaceAll(copy, db.database))}`,
      'fix the scrub file and run the restore again',
    );
}

/** Puts the prepared copy in place of the target database (one transaction), then drops the old one. */
export async function swapDb(run: ServerRun, p: PreparedDb): Promise<void> {
  const old = copyName(p.target.database, 'replaced', randomBytes(3).toString('hex'));
  await psqlAdmin(
    run,
    p.instance,
    'postgres',
    `BEGIN;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname IN (${quoteLiteral(p.target.database)}, ${quoteLiteral(p.copy)}) AND pid <> pg_backend_pid();
ALTER DATABASE ${quoteIdent(p.target.database)} RENAME TO ${quoteIdent(old)};
ALTER DATABASE ${quoteIdent(p.copy)} RENAME TO ${quoteIdent(p.target.database)};
COMMIT;`,
    `putting the restored ${p.target.database} in place`,
  );
  await psqlAdmin(run, p.instance, 'postgres', `DROP DATABASE IF EXISTS ${quoteIdent(old)} WITH (FORCE);`, `dropping the replaced ${p.target.database}`).catch(
    (e) => run.report.warn(`the replaced copy ${old} could not be dropped (${(e as Error).message}); the next restore drops it`),
  );
}

/** Drops a prepared copy that will not be used. */
export async function discardDb(run: ServerRun, p: PreparedDb): Promise<void> {
  await psqlAdmin(run, p.instance, 'postgres', `DROP DATABASE IF EXISTS ${quoteIdent(p.copy)} WITH (FORCE);`, `dropping ${p.copy}`);
}
