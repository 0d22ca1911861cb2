// The row count and content checksum of every table of a database, as one SQL statement whose
// single row is JSON, so that a backup (in the dump's own exported snapshot) and a verify or a
// restore (in the restored copy) compute exactly the same thing and compare strings.
//
// Per table: count(*) and the sums, as numeric, of two 64-bit hashes (hashtextextended, seeds 0
// and 1: the hash functions hash partitioning relies on, stable across versions) of each row's
// text — an order-independent checksum (no sort, one pass) that changes with any value of any row.
// Per sequence: last_value and is_called. The large objects: their count and the same sums over
// `oid:md5(content)` (what is covered: which large objects exist and their bytes; not their owner,
// ACL or comment). Per extension: its schema and version (a restore that lost one, or made another
// version, differs). Tables owned by an extension are left out (CREATE EXTENSION makes them).
// Schemas pg_catalog, information_schema and pg_* are left out. The statement runs dynamic SQL per
// table through query_to_xml, so it needs no function of its own and works in a read-only transaction.
import type { TableSummary } from './manifest.ts';

/**
 * Two 64-bit hashes of a text, summed over the rows: `sum0:sum1`. sum(bigint) is exact (a numeric
 * result, an int128 accumulator): the same figures as summing them cast to numeric, at about 2/3
 * of the cost.
 */
const sums = (text: string) => `coalesce(sum(hashtextextended(${text}, 0)), 0)::text || ':' || coalesce(sum(hashtextextended(${text}, 1)), 0)::text`;

/** User relations of these kinds (`'r'` tables, `'S'` sequences), outside system schemas and extensions. */
const userRelations = (kind: string) => `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = '${kind}'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

/**
 * The per-table query, as a literal for format() (its quotes doubled). Each row becomes text once:
 * OFFSET 0 keeps the planner from inlining `t::text` into both hashes (measured on 6M rows: 32 s
 * instead of 56 s with the text made twice and numeric sums; the row's text is most of the cost).
 */
const perTable = `SELECT count(*) AS n, ${sums('r')} AS c FROM (SELECT (slipway_row.*)::text AS r FROM %I.%I slipway_row OFFSET 0) s`.replace(/'/g, "''");

/**
 * The per-table query over the rows' binary values instead of their text (hash_record_extended,
 * Postgres 14 and later: each column's own extended hash, the one hash partitioning relies on, so
 * stable across major versions; about 3× cheaper than making each row's text). Only for tables
 * whose every column type has an extended hash (hashableTablesSql) on both sides of a comparison.
 */
const perTableHashed =
  `SELECT count(*) AS n, coalesce(sum(hash_record_extended(slipway_row, 0)), 0)::text || ':' || coalesce(sum(hash_record_extended(slipway_row, 1)), 0)::text AS c FROM %I.%I slipway_row`.replace(
    /'/g,
    "''",
  );

/**
 * The user tables (`schema.name`, JSON array) whose rows hash_record_extended can hash: a server of
 * 14 or later, and every column's type (a domain's base type, an array's element type) an enum or
 * a type with a default hash operator class that has an extended hash function, for the type or
 * one it is binary-coercible to (varchar → text). Any other table is compared by its rows' text.
 */
export const HASHABLE_TABLES_SQL = `SELECT coalesce(json_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname), '[]'::json)
  ${userRelations('r')}
  AND current_setting('server_version_num')::int >= 140000
  AND NOT EXISTS (
    SELECT 1 FROM pg_attribute a
      JOIN pg_type ty ON ty.oid = a.atttypid
      JOIN pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
      JOIN pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' AND bt.typelem <> 0 THEN bt.typelem ELSE bt.oid END
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       AND et.typtype <> 'e'
       AND NOT EXISTS (
         SELECT 1 FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
           JOIN pg_amproc p ON p.amprocfamily = opc.opcfamily AND p.amprocnum = 2 AND p.amproclefttype = opc.opcintype
          WHERE am.amname = 'hash' AND opc.opcdefault
            AND (opc.opcintype = et.oid
              OR opc.opcintype IN (SELECT k.casttarget FROM pg_cast k WHERE k.castsource = et.oid AND k.castmethod = 'b'))));`;

/** One statement; its one row, one column is a JSON array of TableSummary (sorted). Run with `psql -X -A -t`. */
export const TABLE_CHECKSUMS_SQL = `WITH tables AS MATERIALIZED (SELECT n.nspname, c.relname ${userRelations('r')})
SELECT coalesce(json_agg(x ORDER BY x.kind, x.schema, x.name), '[]'::json) FROM (
  SELECT 'table' AS kind, t.nspname AS schema, t.relname AS name,
         (xpath('/row/n/text()', q))[1]::text::bigint AS rows,
         (xpath('/row/c/text()', q))[1]::text AS checksum
    FROM tables t CROSS JOIN LATERAL query_to_xml(format('${perTable}', t.nspname, t.relname), false, true, '') AS q
  UNION ALL
  SELECT 'sequence', n.nspname, c.relname, 1,
         (xpath('/row/v/text()', query_to_xml(format('SELECT last_value::text || '':'' || is_called::text AS v FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
    ${userRelations('S')}
  UNION ALL
  SELECT 'large-objects', 'pg_catalog', 'pg_largeobject', count(*), ${sums("m.oid::text || ':' || md5(lo_get(m.oid))")}
    FROM pg_largeobject_metadata m
  UNION ALL
  SELECT 'extension', n.nspname, e.extname, 1, e.extversion
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
) x;`;

/** The server's version, as one JSON row: {"version": "15.8 (…)", "num": 150008}. */
export const SERVER_VERSION_SQL = `SELECT json_build_object('version', current_setting('server_version'), 'num', current_setting('server_version_num')::int);`;

/**
 * The same figures as TABLE_CHECKSUMS_SQL for some of the tables only (`schema.name`: those in
 * `only`, or all but those in `except`), and the large objects when `largeObjects`; no sequence or
 * extension. Names are passed as a text array literal, quoted here.
 */
export function someTableChecksumsSql(
  filter: { only?: readonly string[]; except?: readonly string[] },
  largeObjects: boolean,
  hashed: readonly string[] = [],
): string {
  const fullName = "n.nspname || '.' || c.relname";
  const cond = filter.only
    ? ` AND ${fullName} = ANY (${arrayLiteral(filter.only)}::text[])`
    : filter.except?.length
      ? ` AND NOT (${fullName} = ANY (${arrayLiteral(filter.except)}::text[]))`
      : '';
  const isHashed = hashed.length ? `${fullName} = ANY (${arrayLiteral(hashed)}::text[])` : 'false';
  return `WITH tables AS MATERIALIZED (SELECT n.nspname, c.relname, ${isHashed} AS hashed ${userRelations('r')}${cond})
SELECT coalesce(json_agg(x ORDER BY x.kind, x.schema, x.name), '[]'::json) FROM (
  SELECT 'table' AS kind, t.nspname AS schema, t.relname AS name,
         (xpath('/row/n/text()', q))[1]::text::bigint AS rows,
         (xpath('/row/c/text()', q))[1]::text AS checksum
    FROM tables t CROSS JOIN LATERAL query_to_xml(format(CASE WHEN t.hashed THEN '${perTableHashed}' ELSE '${perTable}' END, t.nspname, t.relname), false, true, '') AS q${
      largeObjects
        ? `
  UNION ALL
  SELECT 'large-objects', 'pg_catalog', 'pg_largeobject', count(*), ${sums("m.oid::text || ':' || md5(lo_get(m.oid))")}
    FROM pg_largeobject_metadata m`
        : ''
    }
) x;`;
}

/** A Postgres text[] literal of these strings, as a quoted SQL string (`'{"a.b","c"}'`). */
function arrayLiteral(items: readonly string[]): string {
  const elems = items.map((i) => `"${i.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',');
  return `'{${elems.replace(/'/g, "''")}}'`;
}

/** Parses what psql printed for TABLE_CHECKSUMS_SQL (one JSON value, possibly over several lines). */
export function parseTableChecksums(line: string): TableSummary[] {
  const rows = JSON.parse(line) as { kind: TableSummary['kind']; schema: string; name: string; rows: number | string; checksum: string | null }[];
  return rows.map((r) => ({ kind: r.kind, schema: r.schema, name: r.name, rows: Number(r.rows), checksum: r.checksum ?? '0:0' }));
}

/** Tables whose count or checksum differ between two lists (missing on either side included), for a verify's message. */
export function compareTables(expected: readonly TableSummary[], actual: readonly TableSummary[]): string[] {
  const key = (t: TableSummary) => `${t.kind} ${t.schema}.${t.name}`;
  const got = new Map(actual.map((t) => [key(t), t]));
  const out: string[] = [];
  for (const e of expected) {
    const a = got.get(key(e));
    if (!a) out.push(`${key(e)}: missing`);
    else if (a.rows !== e.rows) out.push(`${key(e)}: ${a.rows} rows, expected ${e.rows}`);
    else if (a.checksum !== e.checksum) out.push(`${key(e)}: content differs (checksum ${a.checksum}, expected ${e.checksum})`);
    got.delete(key(e));
  }
  for (const k of got.keys()) out.push(`${k}: not in the backup`);
  return out;
}
