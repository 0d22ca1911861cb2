// The manifest of a backup: written last, as `{project}/{env}/{id}/manifest.json` beside the
// objects in every destination that holds all of them. It says what the backup holds and how to
// check it: size and sha256 of every object as stored (encrypted) and of its plaintext, and per
// kind what a restore must reproduce — for Postgres the server version and every table's row count
// and content checksum taken in the dump's own snapshot (pg-checksums.ts), for Redis the key count
// per DB, for volumes every file's size and sha256. The manifest itself is not encrypted: it holds
// names, counts and hashes, never data. `parseManifest` validates one read back from a destination.
import { z } from 'zod';
import { BACKUP_WHAT } from '../config/backup-policy.ts';

export const MANIFEST_FORMAT = 'slipway-backup/1';

/** One table, sequence, extension (checksum: its version) or the large objects, as counted in the dump's snapshot (see pg-checksums.ts). */
export interface TableSummary {
  kind: 'table' | 'sequence' | 'large-objects' | 'extension';
  schema: string;
  name: string;
  rows: number;
  /** Order-independent content checksum (algorithm in pg-checksums.ts; compare as strings). */
  checksum: string;
}

export interface PostgresObject {
  service: string;
  database: string;
  /** The environment's own user that owns the database (a restore maps ownership to the target's). */
  owner: string;
  /** Image the dump ran in (the instance's own): a verify restores into the same major version. */
  image: string;
  /** `SHOW server_version` and `server_version_num` of the instance. */
  serverVersion: string;
  serverVersionNum: number;
  /** `pg_dump -Fc` (custom format), for pg_restore. */
  format: 'pg_dump-custom';
  /** The exported snapshot the dump and the checksums share. */
  snapshot: string;
  tables: TableSummary[];
}

export interface RedisObject {
  service: string;
  db: number;
  /** Redis server version (`INFO server`). */
  serverVersion: string;
  image: string;
  /** One line per key: `hex(key) pttl hex(DUMP payload)` (RESTORE-able, see redis-dump.ts). */
  format: 'slipway-redis-dump/1';
  keys: number;
}

export interface VolumeFile {
  /** Path inside the volume, `/`-separated, no leading `./`. */
  path: string;
  size: number;
  sha256: string;
}

export interface VolumeObject {
  /** The volume's Docker name. */
  volume: string;
  /** The app (and its mount name in the fleet file) it belongs to. */
  app: string;
  name: string;
  /** A tar of the volume's root (as Docker's archive API makes it). */
  format: 'tar';
  files: VolumeFile[];
}

export interface ManifestObject {
  /** Key inside the backup (layout.ts objectKeys), e.g. `postgres/db/shop_prod.pgdump.age`. */
  key: string;
  kind: 'postgres' | 'redis' | 'volume';
  /** Bytes as stored (age-encrypted) and their sha256 (hex). */
  size: number;
  sha256: string;
  /** Bytes before encryption and their sha256. */
  plainSize: number;
  plainSha256: string;
  postgres?: PostgresObject;
  redis?: RedisObject;
  volume?: VolumeObject;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  project: string;
  env: string;
  server: string;
  /** ISO 8601: when the backup started and when its last object was checked. */
  startedAt: string;
  finishedAt: string;
  what: ('postgres' | 'redis' | 'volumes')[];
  /** age recipients every object is encrypted to (public keys). */
  recipients: string[];
  /** `age` (X25519/hybrid recipients), binary format. */
  encryption: 'age';
  objects: ManifestObject[];
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');
const count = z.number().int().min(0);
const tableSchema = z.object({
  kind: z.enum(['table', 'sequence', 'large-objects', 'extension']),
  schema: z.string(),
  name: z.string(),
  rows: count,
  checksum: z.string(),
});

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().min(1),
  project: z.string().min(1),
  env: z.string().min(1),
  server: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  what: z.array(z.enum(BACKUP_WHAT as ['postgres', 'redis', 'volumes'])),
  recipients: z.array(z.string()),
  encryption: z.literal('age'),
  objects: z.array(
    z.object({
      key: z.string().min(1),
      kind: z.enum(['postgres', 'redis', 'volume']),
      size: count,
      sha256: hex64,
      plainSize: count,
      plainSha256: hex64,
      postgres: z
        .object({
          service: z.string(),
          database: z.string(),
          owner: z.string(),
          image: z.string(),
          serverVersion: z.string(),
          serverVersionNum: count,
          format: z.literal('pg_dump-custom'),
          snapshot: z.string(),
          tables: z.array(tableSchema),
        })
        .optional(),
      redis: z
        .object({ service: z.string(), db: count, serverVersion: z.string(), image: z.string(), format: z.literal('slipway-redis-dump/1'), keys: count })
        .optional(),
      volume: z
        .object({
          volume: z.string(),
          app: z.string(),
          name: z.string(),
          format: z.literal('tar'),
          files: z.array(z.object({ path: z.string(), size: count, sha256: hex64 })),
        })
        .optional(),
    }),
  ),
});

/** The manifest as stored (pretty JSON, one trailing newline). */
export function serializeManifest(m: BackupManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Parses a manifest read back from a destination; throws an Error saying what is wrong (`where` names the object). */
export function parseManifest(text: string, where: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: the manifest is not JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${where}: not a Slipway backup manifest (${i.path.join('.') || 'top'}: ${i.message})`);
  }
  return r.data as BackupManifest;
}

/** Bytes of every object (encrypted, as one destination stores them). */
export function manifestBytes(m: BackupManifest): number {
  return m.objects.reduce((n, o) => n + o.size, 0);
}
