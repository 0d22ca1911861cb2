// What a Postgres database holds, as far as a move cares (server version, wal_level, tables and
// whether each has a replica identity, sequences, large objects, extensions), and the pure choice
// of how to copy it: logical replication when the source allows it, with the tables that have no
// replica identity left out of the publication and copied whole at the cutover; dump/restore
// otherwise. A target whose major version is lower than the source's is refused.
import { UserError } from '../../diag/errors.ts';
import { type PgEndpoint, psqlJson, tableName } from './pg-endpoint.ts';

export interface PgTableInfo {
  schema: string;
  name: string;
  /** The planner's estimate (reltuples; 0 for a table never analysed). */
  rows: number;
  /** A primary key, a REPLICA IDENTITY USING INDEX, or REPLICA IDENTITY FULL. */
  hasReplicaIdentity: boolean;
}

export interface PgInventory {
  serverVersionNum: number;
  major: number;
  walLevel: string;
  tables: PgTableInfo[];
  sequences: { schema: string; name: string }[];
  largeObjects: number;
  extensions: string[];
}

/** User relations of kind `k`, outside system schemas and not owned by an extension (as backup/pg-checksums.ts). */
export const userRelations = (k: string): string => `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = '${k}' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

const INVENTORY_SQL = `SELECT json_build_object(
  'serverVersionNum', current_setting('server_version_num')::int,
  'walLevel', current_setting('wal_level'),
  'tables', (SELECT coalesce(json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname, 'rows', greatest(c.reltuples, 0)::bigint,
      'hasReplicaIdentity', c.relreplident = 'f'
        OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
        OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))
    ) ORDER BY n.nspname, c.relname), '[]'::json) ${userRelations('r')}),
  'sequences', (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', c.relname) ORDER BY n.nspname, c.relname), '[]'::json) ${userRelations('S')}),
  'largeObjects', (SELECT count(*) FROM pg_largeobject_metadata),
  'extensions', (SELECT coalesce(json_agg(extname ORDER BY extname), '[]'::json) FROM pg_extension WHERE extname <> 'plpgsql'));`;

export async function inspectDatabase(ep: PgEndpoint): Promise<PgInventory> {
  const r = await psqlJson<Omit<PgInventory, 'major'>>(ep, INVENTORY_SQL, 'reading the database');
  return {
    ...r,
    major: Math.floor(r.serverVersionNum / 10000),
    tables: r.tables.map((t) => ({ ...t, rows: Number(t.rows) })),
    largeObjects: Number(r.largeObjects),
  };
}

export interface PgMethod {
  method: 'logical' | 'dump';
  reason: string;
  /** Tables without a primary key or replica identity (`schema.name`), copied whole in the write pause. */
  copyAtCutover: string[];
}

export function chooseMethod(src: PgInventory, dst: PgInventory): PgMethod {
  if (dst.major < src.major)
    throw new UserError(
      `the target's Postgres is ${dst.major}, older than the source's ${src.major}: a database cannot move to an older major version`,
      `give the target a Postgres image of major ${src.major} or later`,
    );
  if (src.major < 10) return { method: 'dump', reason: `the source's Postgres ${src.major} has no logical replication (10 or later)`, copyAtCutover: [] };
  if (src.walLevel !== 'logical')
    return {
      method: 'dump',
      reason: `the source's wal_level is ${src.walLevel}; logical replication needs wal_level=logical (a restart of the source's Postgres)`,
      copyAtCutover: [],
    };
  if (src.tables.length === 0) return { method: 'dump', reason: 'no table to replicate: dumped and restored in the pause (it is small)', copyAtCutover: [] };
  const without = src.tables.filter((t) => !t.hasReplicaIdentity).map(tableName);
  if (without.length === src.tables.length)
    return { method: 'dump', reason: 'no table has a primary key or replica identity: dumped and restored in the pause', copyAtCutover: [] };
  const upgrade = dst.major > src.major ? ` (Postgres ${src.major} → ${dst.major})` : '';
  return {
    method: 'logical',
    reason:
      `logical replication${upgrade}: ${src.tables.length - without.length} table(s) replicated` +
      (without.length ? `; ${without.length} without a primary key or replica identity copied at the cutover: ${without.join(', ')}` : ''),
    copyAtCutover: without,
  };
}
