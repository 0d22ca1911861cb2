// One side of a Postgres move (PgEndpoint) and the two ways Slipway talks to it: psql inside the
// Postgres container as the postgres user (SQL on stdin, a Secret when it holds a password; the
// answer collected), and one-off containers of the instance's own image on its network, whose
// streams pass through the CLI process (dumps and COPY data are never held whole in memory).
import { randomBytes } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { UserError } from '../../diag/errors.ts';
import type { DockerEngine, StreamingRun } from '../../engine/docker-engine.ts';
import { LABELS } from '../../model/labels.ts';
import { redactSecrets, type Secret } from '../../util/secret.ts';

export interface PgEndpoint {
  engine: DockerEngine;
  /** Server name, for messages. */
  server: string;
  /** The Postgres container on that server. */
  container: string;
  /** The app's database (same name on both sides). */
  database: string;
  /** The app's DB user (same name on both sides), owner of the tables. */
  owner: string;
  /** Where the OTHER server's Postgres can reach this one (relay), set by pg-relay. */
  reach?: { host: string; port: number };
  /**
   * For streams (dump, COPY): a network the Postgres container is on, where one-off containers
   * reach it by its container name, and the superuser's password (`superuserSecret`).
   */
  admin: { network: string; password: Secret };
}

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');

export const where = (ep: PgEndpoint): string => `${ep.server}: ${ep.container}/${ep.database}`;

/**
 * Runs `sql` with psql in the Postgres container (as postgres over the local socket, or as `user`),
 * in `database` (the endpoint's by default), stopping at the first error; returns stdout (`-A -t`).
 */
export async function psql(
  ep: PgEndpoint,
  sql: string | Secret,
  what: string,
  opts: { database?: string; user?: string; secrets?: Secret[] } = {},
): Promise<string> {
  const argv = ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', opts.user ?? 'postgres', '-d', opts.database ?? ep.database];
  const r = await ep.engine.exec(ep.container, argv, { stdin: sql, user: 'postgres' });
  if (r.exitCode !== 0)
    throw new UserError(
      `${where(ep)}: ${what} failed (psql exited ${r.exitCode}): ${redactSecrets(lastLines(r.stderr), opts.secrets ?? [])}`,
      `look at the instance: docker logs ${ep.container} (on ${ep.server})`,
    );
  return r.stdout.trim();
}

/** psql whose output is one JSON value. */
export async function psqlJson<T>(ep: PgEndpoint, sql: string, what: string): Promise<T> {
  return JSON.parse(await psql(ep, sql, what)) as T;
}

/** Settings under which a row's text is the same on every server (time zone, styles, float digits). */
export const STABLE_TEXT =
  "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex';";

/**
 * Starts a one-off container of the instance's image on `admin.network`, running `argv` with
 * PGHOST/PGUSER/PGPASSWORD/PGDATABASE set for the endpoint (and `env`); `stdin` is piped in.
 */
export async function oneOff(
  ep: PgEndpoint,
  what: string,
  argv: string[],
  opts: { stdin?: Readable; env?: Record<string, string> } = {},
): Promise<StreamingRun> {
  const info = await ep.engine.inspectContainer(ep.container);
  const labels: Record<string, string> = { [LABELS.role]: 'move-copy' };
  for (const k of [LABELS.project, LABELS.env, LABELS.service]) if (info.labels[k]) labels[k] = info.labels[k];
  return ep.engine.runStreaming(
    {
      name: `${ep.container}-move-${what}-${randomBytes(4).toString('hex')}`,
      image: info.image,
      entrypoint: [argv[0]!],
      cmd: argv.slice(1),
      env: {
        ...opts.env,
        PGHOST: ep.container,
        PGPORT: '5432',
        PGUSER: 'postgres',
        PGPASSWORD: ep.admin.password,
        PGDATABASE: ep.database,
        PGCONNECT_TIMEOUT: '20',
      },
      labels,
      networks: [{ name: ep.admin.network, aliases: [] }],
      mounts: [],
      restart: 'no',
      stopTimeoutS: 2,
    },
    opts.stdin ? { stdin: opts.stdin } : {},
  );
}

/**
 * `producer`'s stdout streamed into `consumer`'s stdin, through this process. Both must exit 0;
 * if either fails the other is killed. Returns the bytes that passed.
 */
export async function pipeOneOffs(
  from: { ep: PgEndpoint; what: string; argv: string[]; env?: Record<string, string> },
  to: { ep: PgEndpoint; what: string; argv: string[]; env?: Record<string, string> },
): Promise<{ bytes: number }> {
  const producer = await oneOff(from.ep, from.what, from.argv, { env: from.env ?? {} });
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  producer.stdout.on('error', (e) => counted.destroy(e));
  producer.stdout.pipe(counted);
  let consumer: StreamingRun;
  try {
    consumer = await oneOff(to.ep, to.what, to.argv, { stdin: counted, env: to.env ?? {} });
  } catch (e) {
    await producer.kill();
    throw e;
  }
  const consumerOut = (async () => {
    for await (const _ of consumer.stdout as AsyncIterable<Buffer>);
  })();
  consumerOut.catch(() => undefined);
  const secrets = [from.ep.admin.password, to.ep.admin.password];
  const [p, c] = await Promise.all([
    producer.done.then(async (r) => {
      if (r.exitCode !== 0) await consumer.kill();
      return r;
    }),
    consumer.done.then(async (r) => {
      if (r.exitCode !== 0) await producer.kill();
      return r;
    }),
  ]);
  await consumerOut.catch(() => undefined);
  if (p.exitCode !== 0)
    throw new UserError(
      `${where(from.ep)}: ${from.argv[0]} failed (exit ${p.exitCode}): ${redactSecrets(lastLines(p.stderr), secrets)}`,
      `look at the instance: docker logs ${from.ep.container} (on ${from.ep.server})`,
    );
  if (c.exitCode !== 0)
    throw new UserError(
      `${where(to.ep)}: ${to.argv[0]} failed (exit ${c.exitCode}): ${redactSecrets(lastLines(c.stderr), secrets)}`,
      `look at the instance: docker logs ${to.ep.container} (on ${to.ep.server})`,
    );
  return { bytes };
}

/** A table's name as SQL: `"schema"."name"`. */
export const qualifiedIdent = (t: { schema: string; name: string }): string => `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;

/** A table's name as Slipway prints and passes it: `schema.name`. */
export const tableName = (t: { schema: string; name: string }): string => `${t.schema}.${t.name}`;
