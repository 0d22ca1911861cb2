// A Postgres dump restored into a throwaway Postgres of the dump's major version, and its tables
// counted and checksummed there (backup/pg-checksums.ts, the statement the backup ran in the
// dump's snapshot). One container does it all: initdb on a throwaway volume, a server on a Unix
// socket only (no network, fsync off: nothing here is kept), `pg_restore` reading the dump from
// stdin as it streams in, then the checksums on stdout. Reusable by a restore that wants the same
// proof on a copy.
import type { Readable } from 'node:stream';
import { parseTableChecksums, SERVER_VERSION_SQL, TABLE_CHECKSUMS_SQL } from '../../backup/pg-checksums.ts';
import type { TableSummary } from '../../backup/manifest.ts';
import { UserError } from '../../diag/errors.ts';
import type { ServerRun } from '../server-run.ts';
import { RestoreRefusedError, type ThrowawaySet } from './throwaway.ts';

const MARK = 'SLIPWAY-CHECKSUMS';
const DATA = '/var/lib/postgresql/data';

/** The throwaway's script: $1 version SQL, $2 checksums SQL; the dump on stdin. */
const SCRIPT = `set -e
D=${DATA}/verify
initdb -D "$D" -U postgres -A trust -E UTF8 --locale=C >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log >&2; exit 3; }
pg_ctl -D "$D" -w -t 300 -l /tmp/pg.log -o "-c listen_addresses= -c unix_socket_directories=/tmp -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_wal_size=4GB -c maintenance_work_mem=256MB" start >/dev/null || { cat /tmp/pg.log >&2; exit 4; }
createdb -h /tmp -U postgres verify
pg_restore -h /tmp -U postgres -d verify --no-owner --no-privileges --exit-on-error || exit 5
psql -h /tmp -U postgres -d verify -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
echo ${MARK}
psql -h /tmp -U postgres -d verify -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"
pg_ctl -D "$D" -m immediate stop >/dev/null 2>&1 || true`;

/** Major version from `server_version_num` (150008 → 15; 90624 → 9.6 is not supported by Slipway). */
export const pgMajor = (num: number): number => Math.floor(num / 10000);

/**
 * The image to restore a dump of this major version into: the manifest's own image when the server
 * has it and the tag says the same major, else `postgres:{major}`, else the environment's current
 * Postgres image of that major. The throwaway checks the major it runs anyway.
 */
export async function pickPostgresImage(run: ServerRun, manifestImage: string, major: number): Promise<string> {
  const tagMajor = (img: string) => /:(\d+)(?:[.-]|$)/.exec(img)?.[1];
  const services = run.state.containers.filter((c) => c.role === 'service').map((c) => c.image);
  const candidates = [manifestImage, `postgres:${major}`, ...services].filter((img, i) => {
    const m = tagMajor(img);
    // The manifest's own image may carry no version in its tag (a custom build); the others must say the major.
    return m === String(major) || (i === 0 && m === undefined);
  });
  for (const img of new Set(candidates)) if (await run.conn.engine.imageInspect(img)) return img;
  throw new UserError(
    `no Postgres ${major} image on ${run.conn.server.name} to restore the dump into (tried ${[...new Set([manifestImage, `postgres:${major}`])].join(', ')})`,
    `put postgres:${major} on the server (docker pull postgres:${major}, or load it), then run verify again`,
  );
}

export interface PgRestoreCheck {
  image: string;
  /** `server_version` of the throwaway. */
  serverVersion: string;
  serverVersionNum: number;
  tables: TableSummary[];
}

const lastLines = (s: string, n = 4) => s.trim().split('\n').slice(-n).join(' | ');

/** Streams `dump` (plaintext `pg_dump -Fc`) into a throwaway Postgres of `image` and returns every table's count and checksum there. */
export async function restoreAndChecksum(set: ThrowawaySet, image: string, dump: Readable, label: string): Promise<PgRestoreCheck> {
  const volume = await set.volume('pgdata');
  const r = await set.start(
    set.spec('pg', image, ['/bin/sh', '-c', SCRIPT, 'sh'], [SERVER_VERSION_SQL, TABLE_CHECKSUMS_SQL], {
      user: 'postgres',
      mounts: [{ volume, target: DATA }],
      stopTimeoutS: 2,
    }),
    { stdin: dump },
  );
  let dumpError: unknown;
  dump.once('error', (e) => {
    dumpError ??= e;
    void r.kill();
  });
  const out: Buffer[] = [];
  for await (const c of r.stdout as AsyncIterable<Buffer>) out.push(c);
  const { exitCode, stderr } = await r.done;
  // A damaged or mismatching object is the first cause: say that rather than pg_restore's complaint.
  if (dumpError) throw dumpError;
  const steps: Record<number, string> = { 3: 'initdb', 4: 'starting Postgres', 5: 'pg_restore' };
  if (exitCode === 5) throw new RestoreRefusedError(`${label}: pg_restore failed in ${image}: ${lastLines(stderr)}`);
  if (exitCode !== 0)
    throw new UserError(`${label}: ${steps[exitCode] ?? 'the throwaway Postgres'} failed in ${image} (exit ${exitCode}): ${lastLines(stderr)}`);
  const text = Buffer.concat(out).toString('utf8');
  const at = text.indexOf(`\n${MARK}\n`);
  if (at < 0) throw new UserError(`${label}: the throwaway Postgres printed no checksums: ${lastLines(stderr)}`);
  const version = JSON.parse(text.slice(0, at).trim()) as { version: string; num: number };
  return {
    image,
    serverVersion: version.version,
    serverVersionNum: Number(version.num),
    tables: parseTableChecksums(text.slice(at + MARK.length + 2).trim()),
  };
}
