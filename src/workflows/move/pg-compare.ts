// Source and target of a move compared table by table: the exact row count and an
// order-independent checksum of every row's text (backup/pg-checksums.ts, the statement backups
// and verify use: sums of two 64-bit hashtextextended, stable across major versions), computed
// with the same text settings on both sides; and the large objects, by count and content.
import { HASHABLE_TABLES_SQL, parseTableChecksums, someTableChecksumsSql, TABLE_CHECKSUMS_SQL } from '../../backup/pg-checksums.ts';
import type { TableSummary } from '../../backup/manifest.ts';
import { type PgEndpoint, psql, psqlJson, STABLE_TEXT } from './pg-endpoint.ts';

export interface TableComparison {
  /** `schema.name`, or `large objects`. */
  table: string;
  srcRows: number;
  dstRows: number;
  srcSum: string;
  dstSum: string;
  equal: boolean;
}

export const LARGE_OBJECTS = 'large objects';

/** Which tables to compare (`schema.name`), and whether the large objects too; absent: everything. */
export interface CompareScope {
  only?: readonly string[];
  except?: readonly string[];
  largeObjects: boolean;
  /** Tables compared by their rows' binary values (hash_record_extended) on both sides; the others by their text. */
  hashed?: readonly string[];
}

/**
 * The tables both sides can compare by their rows' binary values (Postgres 14+ on both, every
 * column type hashable on both): the same list is then used on both sides, so their figures match.
 */
export async function hashableOnBoth(src: PgEndpoint, dst: PgEndpoint): Promise<string[]> {
  const [a, b] = await Promise.all([
    psqlJson<string[]>(src, HASHABLE_TABLES_SQL, 'listing the tables to compare by value'),
    psqlJson<string[]>(dst, HASHABLE_TABLES_SQL, 'listing the tables to compare by value'),
  ]);
  const there = new Set(b);
  return a.filter((t) => there.has(t));
}

async function checksums(ep: PgEndpoint, scope?: CompareScope): Promise<Map<string, TableSummary>> {
  const sql = scope ? someTableChecksumsSql(scope, scope.largeObjects, scope.hashed) : TABLE_CHECKSUMS_SQL;
  const out = await psql(ep, `${STABLE_TEXT}\n${sql}`, 'counting and checksumming the tables');
  const rows = parseTableChecksums(out).filter((t) => t.kind === 'table' || t.kind === 'large-objects');
  return new Map(rows.map((t) => [t.kind === 'table' ? `${t.schema}.${t.name}` : LARGE_OBJECTS, t]));
}

/** Every table of either side (then the large objects), with both sides' figures; `equal` when count and checksum match. */
export async function compareTables(src: PgEndpoint, dst: PgEndpoint, scope?: CompareScope): Promise<TableComparison[]> {
  const [a, b] = await Promise.all([checksums(src, scope), checksums(dst, scope)]);
  const names = [...new Set([...a.keys(), ...b.keys()])].filter((n) => n !== LARGE_OBJECTS).sort();
  return [...names, ...(!scope || scope.largeObjects ? [LARGE_OBJECTS] : [])].map((table) => {
    const s = a.get(table);
    const d = b.get(table);
    const srcSum = s?.checksum ?? '';
    const dstSum = d?.checksum ?? '';
    return { table, srcRows: s?.rows ?? 0, dstRows: d?.rows ?? 0, srcSum, dstSum, equal: !!s && !!d && s.rows === d.rows && srcSum === dstSum };
  });
}
