// Copying one database between two Postgres instances for a move. Logical replication (the
// schema first, then a publication on the source and a subscription on the target, which works
// across major versions), and what it does not carry, done at the cutover: sequences, large
// objects, and the tables left out of the publication (no replica identity), copied whole. The
// dump method streams `pg_dump -Fc` into `pg_restore -j` on an emptied database. Every step can run
// again: what exists is kept or replaced, never duplicated. Passwords go in on stdin as Secrets.
import { UserError } from '../../diag/errors.ts';
import { quoteIdent, quoteLiteral } from '../../render/sql.ts';
import { requireRedactable, Secret } from '../../util/secret.ts';
import { type PgEndpoint, pipeOneOffs, psql, psqlJson, qualifiedIdent, tableName, where } from './pg-endpoint.ts';
import { inspectDatabase, type PgTableInfo, userRelations } from './pg-inspect.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Schema

interface TableShape {
  table: string;
  columns: string;
}

const SHAPE_SQL = `SELECT coalesce(json_agg(json_build_object('table', n.nspname || '.' || c.relname,
    'columns', (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
  ORDER BY n.nspname, c.relname), '[]'::json) ${userRelations('r')}`;

const EXTENSIONS_SQL = `SELECT coalesce(json_agg(json_build_object('name', e.extname, 'schema', n.nspname) ORDER BY e.extname), '[]'::json)
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'`;

/** Creates, as the superuser, the source's extensions that live in a schema the target already has (the dump's own CREATE EXTENSION IF NOT EXISTS then does nothing). */
async function createExtensions(src: PgEndpoint, dst: PgEndpoint): Promise<void> {
  const exts = await psqlJson<{ name: string; schema: string }[]>(src, EXTENSIONS_SQL, 'listing extensions');
  if (exts.length === 0) return;
  const sql = exts
    .map(
      (e) =>
        `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ${quoteLiteral(e.schema)}) AS have_schema \\gset\n\\if :have_schema\nCREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)};\n\\endif`,
    )
    .join('\n');
  await psql(dst, sql, 'creating extensions');
}

/**
 * The source's schema (`pg_dump --schema-only`, without publications, subscriptions, privileges or
 * owners) applied on the target as the owner. When the target already has tables: skipped if they
 * are the same tables with the same columns, refused otherwise. Returns whether it was applied.
 */
export async function copySchema(src: PgEndpoint, dst: PgEndpoint): Promise<{ applied: boolean }> {
  const [want, have] = await Promise.all([psqlJson<TableShape[]>(src, SHAPE_SQL, 'reading tables'), psqlJson<TableShape[]>(dst, SHAPE_SQL, 'reading tables')]);
  if (have.length > 0) {
    const key = (t: TableShape) => `${t.table}(${t.columns})`;
    const a = new Set(want.map(key));
    const b = new Set(have.map(key));
    const differ = [...want.filter((t) => !b.has(key(t))), ...have.filter((t) => !a.has(key(t)))].map((t) => t.table);
    if (differ.length === 0) return { applied: false };
    throw new UserError(
      `${where(dst)}: the target database already has tables that differ from the source's: ${[...new Set(differ)].join(', ')}`,
      'the target database must be empty or hold the same schema; empty it (or let the move use the dump method, which empties it)',
    );
  }
  const dump = await src.engine.exec(
    src.container,
    ['pg_dump', '--schema-only', '--no-publications', '--no-subscriptions', '--no-privileges', '--no-owner', '-U', 'postgres', '-d', src.database],
    { user: 'postgres' },
  );
  if (dump.exitCode !== 0)
    throw new UserError(`${where(src)}: pg_dump --schema-only failed (exit ${dump.exitCode}): ${dump.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  await createExtensions(src, dst);
  // An extension belongs to the superuser: the owner may not comment on it.
  const sql = dump.stdout
    .split('\n')
    .filter((l) => !l.startsWith('COMMENT ON EXTENSION '))
    .join('\n');
  await psql(dst, sql, 'applying the schema', { user: dst.owner });
  return { applied: true };
}

// ---------------------------------------------------------------------------------------------
// Logical replication

/** `key='value'` for a libpq connection string (quotes and backslashes escaped). */
const conninfoValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const currentDbSub = (name: string) =>
  `SELECT oid FROM pg_subscription WHERE subname = ${quoteLiteral(name)} AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`;

async function subscriptionExists(dst: PgEndpoint, name: string): Promise<boolean> {
  return (await psql(dst, `SELECT EXISTS (${currentDbSub(name)});`, 'reading subscriptions')) === 't';
}

async function publishedTables(src: PgEndpoint, exclude: readonly string[]): Promise<PgTableInfo[]> {
  const inv = await inspectDatabase(src);
  const known = new Set(inv.tables.map(tableName));
  const unknown = exclude.filter((t) => !known.has(t));
  if (unknown.length) throw new Error(`${where(src)}: no table ${unknown.join(', ')} to leave out of the publication`);
  const tables = inv.tables.filter((t) => !exclude.includes(tableName(t)));
  if (tables.length === 0)
    throw new UserError(`${where(src)}: no table to replicate (every table is left out)`, 'copy this database with the dump method instead');
  return tables;
}

/**
 * On the source: a replication role `name` (LOGIN REPLICATION, CONNECT and SELECT on the tables,
 * password `password`) and publication `name` for every table but `exclude` (`schema.name`). On
 * the target: subscription `name` connecting through `src.reach`; created once (its tables emptied
 * first, so an earlier attempt's rows are not copied twice; with `copyData: false` neither emptied
 * nor copied: only later changes flow), its connection refreshed after.
 */
export async function startReplication(
  src: PgEndpoint,
  dst: PgEndpoint,
  opts: {
    name: string;
    password: Secret;
    exclude: string[];
    copyData?: boolean;
    /** Subscribe to slot `name` made earlier on the source (createSlot): changes since its creation flow, nothing is copied. */
    existingSlot?: boolean;
  },
): Promise<void> {
  if (!src.reach) throw new Error(`${where(src)}: no relay address for the target to reach the source (ensureRelay first)`);
  const exists = await subscriptionExists(dst, opts.name);
  const { list } = await publish(src, { ...opts, keepSlot: exists || opts.existingSlot === true });
  await subscribe(src, dst, { ...opts, id: quoteIdent(opts.name), list, exists });
}
/**
 * On the source of a replication: role `name` (LOGIN REPLICATION, CONNECT and SELECT on the tables,
 * password `password`) and publication `name` for every table but `exclude`; an inactive slot of
 * that name left by an earlier attempt is dropped unless `keepSlot`. Idempotent.
 */
export async function publish(src: PgEndpoint, opts: { name: string; password: Secret; exclude: string[]; keepSlot?: boolean }): Promise<{ list: string }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.name)) throw new Error(`replication name ${JSON.stringify(opts.name)} must be a lower-case SQL identifier`);
  requireRedactable([opts.password], { where: `${where(src)}: replication role ${opts.name}` });
  const tables = await publishedTables(src, opts.exclude);
  const list = tables.map(qualifiedIdent).join(', ');
  const schemas = [...new Set(tables.map((t) => t.schema))].map(quoteIdent).join(', ');
  const id = quoteIdent(opts.name);
  const lit = quoteLiteral(opts.name);
  const exists = opts.keepSlot === true;
  const onSource = Secret.join(`replication setup on ${src.container}`, [
    '\\set pw ',
    opts.password.map(quoteLiteral),
    '\n',
    `SELECT format(CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit}) THEN 'ALTER ROLE %I LOGIN REPLICATION PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN REPLICATION PASSWORD %L' END, ${lit}, :'pw') \\gexec\n`,
    `GRANT CONNECT ON DATABASE ${quoteIdent(src.database)} TO ${id};\n`,
    `GRANT USAGE ON SCHEMA ${schemas} TO ${id};\n`,
    `GRANT SELECT ON ${list} TO ${id};\n`,
    `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ${lit}) AS have_pub \\gset\n`,
    `\\if :have_pub\nALTER PUBLICATION ${id} SET TABLE ${list};\n\\else\nCREATE PUBLICATION ${id} FOR TABLE ${list};\n\\endif\n`,
    // A slot left by an earlier attempt whose subscription is gone would make CREATE SUBSCRIPTION fail.
    exists ? '' : `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${lit} AND NOT active;\n`,
  ]);
  await psql(src, onSource, 'creating the replication role and publication', { secrets: [opts.password] });
  return { list };
}

async function subscribe(
  src: PgEndpoint & { reach?: { host: string; port: number } },
  dst: PgEndpoint,
  opts: { name: string; password: Secret; copyData?: boolean; existingSlot?: boolean; id: string; list: string; exists: boolean },
): Promise<void> {
  const { id, list, exists } = opts;
  if (!src.reach) throw new Error(`${where(src)}: no relay address`);
  const conninfo = Secret.join(`connection to ${src.container}`, [
    `host=${conninfoValue(src.reach.host)} port=${src.reach.port} dbname=${conninfoValue(src.database)} user=${conninfoValue(opts.name)} password=`,
    opts.password.map(conninfoValue),
    ' connect_timeout=10',
  ]).map(quoteLiteral);
  const onTarget = exists
    ? Secret.join(`subscription on ${dst.container}`, [
        `ALTER SUBSCRIPTION ${id} CONNECTION `,
        conninfo,
        `;\nALTER SUBSCRIPTION ${id} ENABLE;\nALTER SUBSCRIPTION ${id} REFRESH PUBLICATION;\n`,
      ])
    : opts.existingSlot
      ? Secret.join(`subscription on ${dst.container}`, [
          `CREATE SUBSCRIPTION ${id} CONNECTION `,
          conninfo,
          ` PUBLICATION ${id} WITH (synchronous_commit = 'on', copy_data = false, create_slot = false, slot_name = ${quoteLiteral(opts.name)});\n`,
        ])
      : opts.copyData === false
        ? // The target already holds what the source has (a reverse subscription, set up right after a cutover's comparison): only changes from now on.
          Secret.join(`subscription on ${dst.container}`, [
            `CREATE SUBSCRIPTION ${id} CONNECTION `,
            conninfo,
            ` PUBLICATION ${id} WITH (synchronous_commit = 'on', copy_data = false);\n`,
          ])
        : Secret.join(`subscription on ${dst.container}`, [
            `TRUNCATE ${list} CASCADE;\n`,
            `CREATE SUBSCRIPTION ${id} CONNECTION `,
            conninfo,
            // Applied rows are flushed before they are confirmed: the source's slot then says what the target has made durable, promptly.
            ` PUBLICATION ${id} WITH (synchronous_commit = 'on');\n`,
          ]);
  await psql(dst, onTarget, exists ? 'refreshing the subscription' : 'creating the subscription', { secrets: [opts.password] });
}

async function slotLag(src: PgEndpoint, name: string, target?: string): Promise<{ bytes: number; behindTarget: boolean }> {
  const r = await psqlJson<{ bytes: string | null; behind: boolean | null } | null>(
    src,
    `SELECT (SELECT json_build_object('bytes', pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,
        'behind', ${target ? `confirmed_flush_lsn IS NULL OR confirmed_flush_lsn < ${quoteLiteral(target)}::pg_lsn` : 'false'})
      FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(name)});`,
    'reading the replication slot',
  );
  if (!r) throw new UserError(`${where(src)}: no replication slot ${name}: replication is not running`, 'start it again (the move resumes it)');
  return { bytes: Number(r.bytes ?? 0), behindTarget: r.behind === true };
}

async function tablesReady(dst: PgEndpoint, name: string): Promise<{ total: number; notReady: number }> {
  const r = await psqlJson<{ total: number; notready: number } | null>(
    dst,
    `SELECT (SELECT json_build_object('total', count(r.*), 'notready', count(r.*) FILTER (WHERE r.srsubstate <> 'r'))
      FROM (${currentDbSub(name)}) s LEFT JOIN pg_subscription_rel r ON r.srsubid = s.oid GROUP BY s.oid);`,
    'reading the subscription',
  );
  if (!r) throw new UserError(`${where(dst)}: no subscription ${name}: replication is not running`, 'start it again (the move resumes it)');
  return { total: Number(r.total), notReady: Number(r.notready) };
}

/** Bytes of the source's WAL the subscription has not confirmed, and whether every table's initial copy is done. */
export async function replicationLag(src: PgEndpoint, dst: PgEndpoint, name: string): Promise<{ bytes: number; initialSyncDone: boolean }> {
  const [lag, ready] = await Promise.all([slotLag(src, name), tablesReady(dst, name)]);
  return { bytes: lag.bytes, initialSyncDone: ready.total > 0 && ready.notReady === 0 };
}

/**
 * Once writes are held on the source: waits until the target has applied all the source wrote
 * (the slot's confirmed flush LSN at or past the source's current WAL LSN taken now, and every
 * table of the subscription ready).
 */
export async function catchUp(src: PgEndpoint, dst: PgEndpoint, name: string, timeoutMs: number): Promise<{ waitedMs: number }> {
  const started = Date.now();
  const ready = tablesReady(dst, name);
  ready.catch(() => undefined);
  // The wait runs inside the source's Postgres (one call, polling its own slot every 10 ms): no
  // round trip per poll within the write pause.
  const lit = quoteLiteral(name);
  const wait = `DO $slipway$
DECLARE
  goal pg_lsn := pg_current_wal_lsn();
  deadline timestamptz := clock_timestamp() + ${Math.max(1, Math.round(timeoutMs))} * interval '1 ms';
  flushed pg_lsn;
BEGIN
  LOOP
    SELECT confirmed_flush_lsn INTO flushed FROM pg_replication_slots WHERE slot_name = ${lit};
    IF NOT FOUND THEN RAISE EXCEPTION 'slipway-no-slot'; END IF;
    EXIT WHEN flushed IS NOT NULL AND flushed >= goal;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'slipway-behind %', coalesce(pg_wal_lsn_diff(goal, flushed)::bigint, -1);
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END
$slipway$;`;
  try {
    await psql(src, wait, 'waiting for the replica');
  } catch (e) {
    const m = (e as Error).message;
    if (m.includes('slipway-no-slot'))
      throw new UserError(`${where(src)}: no replication slot ${name}: replication is not running`, 'start it again (the move resumes it)');
    const behind = /slipway-behind (-?\d+)/.exec(m);
    if (behind)
      throw new UserError(
        `${where(dst)}: replication ${name} did not catch up within ${Math.round(timeoutMs / 1000)} s (${behind[1]} bytes behind)`,
        `look at the target's log: docker logs ${dst.container} (on ${dst.server})`,
      );
    throw e;
  }
  const r = await ready;
  if (!(r.total > 0 && r.notReady === 0))
    throw new UserError(
      `${where(dst)}: replication ${name}: ${r.notReady} of ${r.total} table(s) still in their initial copy`,
      'resume the move: its pre-copy waits for the initial copy to finish',
    );
  return { waitedMs: Date.now() - started };
}

/** Drops the subscription (target), then the slot, the publication and the replication role (source); each only if it exists. */
export async function stopReplication(src: PgEndpoint, dst: PgEndpoint, name: string): Promise<void> {
  const id = quoteIdent(name);
  const lit = quoteLiteral(name);
  if (await subscriptionExists(dst, name))
    // Detached from its slot first, so the drop does not depend on reaching the source.
    await psql(
      dst,
      `ALTER SUBSCRIPTION ${id} DISABLE;\nALTER SUBSCRIPTION ${id} SET (slot_name = NONE);\nDROP SUBSCRIPTION ${id};\n`,
      'dropping the subscription',
    );
  // The walsender of a disabled subscription goes away shortly; its slot can be dropped once inactive.
  for (let i = 0; ; i++) {
    const left = await psql(
      src,
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${lit} AND NOT active;\nSELECT count(*) FROM pg_replication_slots WHERE slot_name = ${lit};`,
      'dropping the replication slot',
    );
    if (left.trim().split('\n').pop() === '0') break;
    if (i >= 200) throw new UserError(`${where(src)}: replication slot ${name} is still in use`, 'stop the subscriber that uses it, then run this again');
    await sleep(100);
  }
  await psql(
    src,
    `DROP PUBLICATION IF EXISTS ${id};\nSELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit}) AS have_role \\gset\n\\if :have_role\nDROP OWNED BY ${id};\nDROP ROLE ${id};\n\\endif\n`,
    'dropping the publication and the replication role',
  );
}

// ---------------------------------------------------------------------------------------------
// What logical replication does not carry

/** Sets every sequence of the target to the source's last value (is_called kept: a sequence never used stays unused). */
export async function syncSequences(src: PgEndpoint, dst: PgEndpoint): Promise<{ sequences: number }> {
  const seqs = await psqlJson<{ schema: string; name: string; last: string | null; start: string }[]>(
    src,
    `SELECT coalesce(json_agg(json_build_object('schema', schemaname, 'name', sequencename, 'last', last_value::text, 'start', start_value::text)), '[]'::json) FROM pg_sequences;`,
    'reading sequences',
  );
  if (seqs.length === 0) return { sequences: 0 };
  const num = (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new Error(`sequence value ${JSON.stringify(v)} is not an integer`);
    return v;
  };
  const sql = seqs
    .map((s) => `SELECT pg_catalog.setval(${quoteLiteral(qualifiedIdent(s))}, ${s.last === null ? `${num(s.start)}, false` : `${num(s.last)}, true`});`)
    .join('\n');
  await psql(dst, `BEGIN;\n${sql}\nCOMMIT;\n`, 'setting sequences');
  return { sequences: seqs.length };
}

const LO_LIST = `SELECT coalesce(json_agg(json_build_object('oid', m.oid::bigint, 'owner', r.rolname, 'md5', md5(lo_get(m.oid))) ORDER BY m.oid), '[]'::json)
  FROM pg_largeobject_metadata m JOIN pg_roles r ON r.oid = m.lomowner;`;

/**
 * Makes the target's large objects those of the source (same oids, bytes and owner): the ones
 * missing or different are copied one at a time, the ones the source does not have are removed.
 */
export async function copyLargeObjects(src: PgEndpoint, dst: PgEndpoint): Promise<{ copied: number; removed: number; total: number }> {
  type Lo = { oid: number; owner: string; md5: string };
  const [want, have] = await Promise.all([psqlJson<Lo[]>(src, LO_LIST, 'listing large objects'), psqlJson<Lo[]>(dst, LO_LIST, 'listing large objects')]);
  const wanted = new Map(want.map((l) => [l.oid, l]));
  const had = new Map(have.map((l) => [l.oid, l]));
  const extra = have.filter((l) => !wanted.has(l.oid)).map((l) => l.oid);
  if (extra.length) await psql(dst, extra.map((o) => `SELECT lo_unlink(${o});`).join('\n'), 'removing large objects');
  let copied = 0;
  for (const lo of want) {
    const h = had.get(lo.oid);
    if (h && h.md5 === lo.md5 && h.owner === lo.owner) continue;
    const hex = await psql(src, `SELECT encode(lo_get(${lo.oid}), 'hex');`, `reading large object ${lo.oid}`);
    await psql(
      dst,
      `BEGIN;\nSELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = ${lo.oid};\nSELECT lo_from_bytea(${lo.oid}, decode('${hex}', 'hex'));\nALTER LARGE OBJECT ${lo.oid} OWNER TO ${quoteIdent(lo.owner)};\nCOMMIT;\n`,
      `writing large object ${lo.oid}`,
    );
    copied++;
  }
  return { copied, removed: extra.length, total: want.length };
}

/** Each table (`schema.name`) emptied on the target and copied whole from the source (COPY streamed through this process), in one transaction per table. */
export async function copyTables(src: PgEndpoint, dst: PgEndpoint, tables: readonly string[]): Promise<{ table: string; bytes: number }[]> {
  if (tables.length === 0) return [];
  const inv = await inspectDatabase(src);
  const sizes = await psqlJson<Record<string, number> | null>(
    src,
    `SELECT json_object_agg(n.nspname || '.' || c.relname, pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE (n.nspname || '.' || c.relname) IN (${tables.map(quoteLiteral).join(', ')});`,
    'reading table sizes',
  );
  const out: { table: string; bytes: number }[] = [];
  for (const name of tables) {
    const t = inv.tables.find((x) => tableName(x) === name);
    if (!t) throw new Error(`${where(src)}: no table ${name} to copy`);
    const q = qualifiedIdent(t);
    if ((sizes?.[name] ?? Number.POSITIVE_INFINITY) < SMALL_TABLE_BYTES) {
      out.push({ table: name, bytes: await copySmallTable(src, dst, q) });
      continue;
    }
    const { bytes } = await pipeOneOffs(
      { ep: src, what: 'copy-out', argv: ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `COPY ${q} TO STDOUT`] },
      {
        ep: dst,
        what: 'copy-in',
        // As replication applies rows: no triggers, no foreign-key checks.
        argv: [
          'psql',
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-1',
          '-c',
          'SET session_replication_role = replica',
          '-c',
          `TRUNCATE ${q}`,
          '-c',
          `COPY ${q} FROM STDIN`,
        ],
      },
    );
    out.push({ table: name, bytes });
  }
  return out;
}

/** Tables under this size are copied through psql in the running containers (no one-off container to start within a pause). */
const SMALL_TABLE_BYTES = 32 * 1024 * 1024;

async function copySmallTable(src: PgEndpoint, dst: PgEndpoint, q: string): Promise<number> {
  const base = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres'];
  const data = await src.engine.exec(src.container, [...base, '-d', src.database, '-c', `COPY ${q} TO STDOUT`], { user: 'postgres' });
  if (data.exitCode !== 0)
    throw new UserError(
      `${where(src)}: COPY ${q} TO STDOUT failed: ${data.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      `look at the instance: docker logs ${src.container}`,
    );
  const r = await dst.engine.exec(
    dst.container,
    [...base, '-d', dst.database, '-1', '-c', 'SET session_replication_role = replica', '-c', `TRUNCATE ${q}`, '-c', `COPY ${q} FROM STDIN`],
    { user: 'postgres', stdin: data.stdout },
  );
  if (r.exitCode !== 0)
    throw new UserError(
      `${where(dst)}: COPY ${q} FROM STDIN failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      `look at the instance: docker logs ${dst.container}`,
    );
  return Buffer.byteLength(data.stdout);
}

// ---------------------------------------------------------------------------------------------
// Dump method

/** Empties the target database (every schema dropped, `public` made again with Slipway's grants, large objects removed). */
async function emptyDatabase(dst: PgEndpoint): Promise<void> {
  await psql(
    dst,
    `DO $slipway$ DECLARE s record; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s.nspname);
  END LOOP;
END $slipway$;
CREATE SCHEMA public;
ALTER SCHEMA public OWNER TO pg_database_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO ${quoteIdent(dst.owner)};
SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata;
`,
    'emptying the database',
  );
}

/** Restores from stdin: the dump is kept in the container's /tmp (pg_restore -j needs a file), extension comments left out (the owner may not make them). */
const RESTORE_SCRIPT = `set -e
cat > /tmp/db.dump
pg_restore -l /tmp/db.dump | grep -v ' COMMENT - EXTENSION ' > /tmp/db.list
pg_restore -j "$JOBS" --no-owner --no-privileges --role="$OWNER" --exit-on-error -L /tmp/db.list -d "$PGDATABASE" /tmp/db.dump`;

/**
 * The dump method: the target database emptied, then `pg_dump -Fc` of the source streamed (through
 * this process) into `pg_restore -j` on the target, as the owner. Running it again starts over.
 */
export async function dumpRestore(src: PgEndpoint, dst: PgEndpoint, opts: { jobs?: number } = {}): Promise<{ bytes: number; ms: number }> {
  const started = Date.now();
  await emptyDatabase(dst);
  await createExtensions(src, dst);
  const jobs = String(opts.jobs ?? 2);
  const { bytes } = await pipeOneOffs(
    { ep: src, what: 'dump', argv: ['pg_dump', '-Fc'] },
    { ep: dst, what: 'restore', argv: ['sh', '-c', RESTORE_SCRIPT], env: { JOBS: jobs, OWNER: dst.owner } },
  );
  return { bytes, ms: Date.now() - started };
}

/**
 * A logical replication slot `name` (pgoutput) on this side, made now: a subscription created later
 * with `existingSlot` receives every change from this moment (the cutover makes the reverse slot
 * while writes are held, and subscribes once they flow). Nothing when it exists.
 */
export async function createSlot(ep: PgEndpoint, name: string): Promise<void> {
  const lit = quoteLiteral(name);
  await psql(
    ep,
    `SELECT pg_create_logical_replication_slot(${lit}, 'pgoutput') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${lit});`,
    'creating the replication slot',
  );
}

/** Lets a disabled subscription apply again (a cutover that stopped after turning the replication around). */
export async function enableSubscription(dst: PgEndpoint, name: string): Promise<void> {
  await psql(
    dst,
    `SELECT EXISTS (${currentDbSub(name)} AND NOT subenabled) AS off \\gset\n\\if :off\nALTER SUBSCRIPTION ${quoteIdent(name)} ENABLE;\n\\endif\n`,
    'enabling the subscription',
  );
}

/** Stops the subscription from applying (kept, with its slot): nothing it would receive is applied from now on. */
export async function disableSubscription(dst: PgEndpoint, name: string): Promise<void> {
  if (await subscriptionExists(dst, name)) await psql(dst, `ALTER SUBSCRIPTION ${quoteIdent(name)} DISABLE;`, 'disabling the subscription');
}
