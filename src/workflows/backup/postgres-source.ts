// A Postgres database as a backup source: `pg_dump -Fc` in a one-off container of the instance's
// own image on the environment's network, reading an exported snapshot that a second session
// (psql in another one-off container) holds open. That session counts and checksums every table
// (backup/pg-checksums.ts) inside the very snapshot the dump reads, while the dump runs, so the
// manifest's figures are exactly what a restore of this dump must give. The dump's bytes are
// streamed out (never held whole); the snapshot is released once the dump has finished.
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { PostgresObject } from '../../backup/manifest.ts';
import { parseTableChecksums, SERVER_VERSION_SQL, TABLE_CHECKSUMS_SQL } from '../../backup/pg-checksums.ts';
import { UserError } from '../../diag/errors.ts';
import type { CreateContainerSpec, StreamingRun } from '../../engine/docker-engine.ts';
import { LABELS } from '../../model/labels.ts';
import { privateNetwork, superuserSecret } from '../../model/names.ts';
import type { ContainerSpec, DatabaseSpec } from '../../plan/desire/desired.ts';
import type { Secret } from '../../util/secret.ts';
import type { ServerRun } from '../server-run.ts';

const SNAPSHOT_MARK = 'SLIPWAY-SNAPSHOT ';

/** Where a database is reached from a one-off container: the instance, its alias on the env's network, the superuser's password. */
export interface PgTarget {
  db: DatabaseSpec;
  instance: ContainerSpec;
  network: string;
  host: string;
  port: number;
  password: Secret;
}

export async function pgTarget(run: ServerRun, env: string, db: DatabaseSpec): Promise<PgTarget> {
  const instance = run.state.containers.find((c) => c.key === db.instance);
  if (!instance) throw new Error(`${run.conn.server.name}: no Postgres instance ${db.instance} for ${db.database}`);
  const network = privateNetwork(run.fleet.project, env);
  const net = instance.networks.find((n) => n.network === network) ?? instance.networks[0];
  if (!net) throw new Error(`${instance.name} is on no network`);
  const password = await run.store.getSecret(superuserSecret(db.service));
  if (!password) throw new UserError(`${run.conn.server.name}: the superuser password of ${db.service} is not in the server's state`, 'run slipway up first');
  return { db, instance, network: net.network, host: net.aliases[0] ?? instance.name, port: instance.port ?? 5432, password };
}

/** A one-off container of the instance's image on the environment's network, running `argv`. */
export function pgContainer(run: ServerRun, t: PgTarget, what: string, argv: string[]): CreateContainerSpec {
  return {
    name: `${run.fleet.project}-slipway-${what}-${randomBytes(4).toString('hex')}`,
    image: t.instance.image,
    entrypoint: [argv[0]!],
    cmd: argv.slice(1),
    env: { PGPASSWORD: t.password, PGCONNECT_TIMEOUT: '20' },
    labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'backup', [LABELS.env]: t.db.env },
    networks: [{ name: t.network, aliases: [] }],
    mounts: [],
    restart: 'no',
    stopTimeoutS: 2,
  };
}

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');

export interface PgDump {
  /** The dump's bytes (`pg_dump -Fc`). */
  stdout: Readable;
  /** After stdout has ended: waits for the dump's exit, releases the snapshot, returns what the manifest says of the database. */
  finish(): Promise<PostgresObject>;
  /** Stops both containers (after a failure elsewhere). */
  abort(): Promise<void>;
}

export async function startPgDump(run: ServerRun, t: PgTarget): Promise<PgDump> {
  const conn = ['-h', t.host, '-p', String(t.port), '-U', 'postgres', '-d', t.db.database];
  const input = new PassThrough();
  let stderr = '';
  let snapshotSeen: (snap: string) => void = () => undefined;
  const snapshot = new Promise<string>((resolve) => {
    snapshotSeen = resolve;
  });
  const holder = await run.conn.engine.runStreaming(
    pgContainer(run, t, 'backup-snapshot', ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn]),
    {
      stdin: input,
      onStderr: (b) => {
        stderr += b.toString('utf8');
        const i = stderr.indexOf(SNAPSHOT_MARK);
        if (i >= 0) {
          const m = /^(\S+)/.exec(stderr.slice(i + SNAPSHOT_MARK.length));
          if (m && stderr.slice(i + SNAPSHOT_MARK.length + m[1]!.length).startsWith('\n')) snapshotSeen(m[1]!);
        }
      },
    },
  );
  const holderOut: Buffer[] = [];
  const holderRead = (async () => {
    for await (const c of holder.stdout as AsyncIterable<Buffer>) holderOut.push(c);
  })();
  holderRead.catch(() => undefined);
  input.write(
    [
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
      'SELECT pg_export_snapshot() AS slipway_snapshot \\gset',
      `\\warn ${SNAPSHOT_MARK}:slipway_snapshot`,
      SERVER_VERSION_SQL,
      TABLE_CHECKSUMS_SQL,
      '',
    ].join('\n'),
  );
  const failedEarly = holder.done.then((r) => {
    throw new Error(`${t.db.database}: could not export a snapshot (psql exited ${r.exitCode}): ${lastLines(r.stderr)}`);
  });
  failedEarly.catch(() => undefined);
  let snap: string;
  try {
    snap = await Promise.race([snapshot, failedEarly]);
  } catch (e) {
    input.end();
    await holder.kill();
    throw e;
  }
  let dump: StreamingRun;
  try {
    dump = await run.conn.engine.runStreaming(pgContainer(run, t, 'backup-dump', ['pg_dump', '-Fc', `--snapshot=${snap}`, ...conn]));
  } catch (e) {
    input.end();
    await holder.kill();
    throw e;
  }
  return {
    stdout: dump.stdout,
    abort: async () => {
      await dump.kill();
      input.end();
      await holder.kill();
    },
    finish: async () => {
      const d = await dump.done;
      // The counts and checksums were computed in the snapshot; releasing it lets psql finish.
      input.end('COMMIT;\n');
      const h = await holder.done;
      await holderRead;
      if (d.exitCode !== 0) throw new Error(`pg_dump of ${t.db.database} failed (exit ${d.exitCode}): ${lastLines(d.stderr)}`);
      if (h.exitCode !== 0) throw new Error(`counting the tables of ${t.db.database} failed (psql exited ${h.exitCode}): ${lastLines(h.stderr)}`);
      const out = Buffer.concat(holderOut).toString('utf8').trim();
      const nl = out.indexOf('\n');
      const version = JSON.parse(out.slice(0, nl)) as { version: string; num: number };
      return {
        service: t.db.service,
        database: t.db.database,
        owner: t.db.user,
        image: t.instance.image,
        serverVersion: version.version,
        serverVersionNum: Number(version.num),
        format: 'pg_dump-custom',
        snapshot: snap,
        tables: parseTableChecksums(out.slice(nl + 1)),
      };
    },
  };
}
