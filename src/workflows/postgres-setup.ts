// Creates, idempotently, each environment's database and least-privilege user on a Postgres
// instance: passwords are generated once and kept on the server (0600), the SQL goes in on
// psql's stdin (never argv), and the app's DATABASE_URL secret is written next to it. Passwords
// stay wrapped in Secrets all the way: the SQL holding them is a Secret too, unwrapped by the
// engine adapter only.
import { randomBytes } from 'node:crypto';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { ObservedDatabase } from '../plan/diff/observed.ts';
import { renderPostgresInitSqlFor, passwordVar, quoteLiteral } from '../render/sql.ts';
import { UserError } from '../diag/errors.ts';
import { Secret, redactSecrets, requireRedactable } from '../util/secret.ts';
import { dbUrlSecret } from '../model/names.ts';
import type { ServerRun } from './server-run.ts';

/** 32 characters of base64url: far above the shortest secret Slipway accepts. */
export const generatePassword = (name: string): Secret => new Secret(randomBytes(24).toString('base64url'), name);

export async function waitForPostgres(run: ServerRun, container: string, timeoutMs = 90_000): Promise<void> {
  const deadline = run.now() + timeoutMs;
  for (;;) {
    const r = await run.conn.engine.exec(container, ['pg_isready', '-q', '-h', '127.0.0.1', '-U', 'postgres']).catch(() => ({ exitCode: -1 }));
    if (r.exitCode === 0) return;
    if (run.now() > deadline)
      throw new UserError(
        `${run.conn.server.name}: Postgres in ${container} is not ready after ${timeoutMs / 1000} s`,
        `look at its logs: slipway logs --service ${container}`,
      );
    await run.sleep(500);
  }
}

/** Ensures every database of `instance` exists with its owner, and their secrets. */
export async function setupDatabases(run: ServerRun, instance: ContainerSpec): Promise<number> {
  const dbs = run.state.databases.filter((d) => d.instance === instance.key);
  if (dbs.length === 0) return 0;
  const alias = instance.networks[0]?.aliases[0] ?? instance.name;
  const port = instance.port ?? 5432;
  const sets: (string | Secret)[] = [];
  const passwords: Secret[] = [];
  for (const d of dbs) {
    let pw = await run.store.getSecret(d.passwordSecret);
    if (!pw) {
      pw = generatePassword(d.passwordSecret);
      await run.store.setSecret(d.passwordSecret, pw);
    }
    const url = dbUrlSecret(instance.name, d.database);
    await run.store.setSecret(url, Secret.join(url, [`postgres://${d.user}:`, pw, `@${alias}:${port}/${d.database}`]));
    sets.push(`\\set ${passwordVar(d.database)} `, pw.map(quoteLiteral), '\n');
    passwords.push(pw);
  }
  requireRedactable(passwords, { where: `${run.conn.server.name}: databases on ${instance.name}` });
  await waitForPostgres(run, instance.name);
  const sql = Secret.join(`psql input for ${instance.name}`, [...sets, renderPostgresInitSqlFor(run.state, instance.key)]);
  const r = await run.conn.engine.exec(instance.name, ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'postgres'], {
    stdin: sql,
    user: 'postgres',
  });
  if (r.exitCode !== 0) {
    throw new UserError(
      `${run.conn.server.name}: creating databases on ${instance.name} failed (psql exited ${r.exitCode}): ${redactSecrets(r.stderr, passwords).trim().split('\n').slice(-3).join(' | ')}`,
      'check the instance with: slipway status; its logs with docker logs',
    );
  }
  const known = (await readDatabases(run)).filter((d) => d.instance !== instance.key);
  await run.store.writeJson(DATABASES, [...known, ...dbs.map((d) => ({ service: d.service, instance: d.instance, database: d.database, user: d.user }))]);
  return dbs.length;
}

const DATABASES = 'postgres/databases.json';

/** Databases Slipway created on this server (with their owners). */
export async function readDatabases(run: ServerRun): Promise<ObservedDatabase[]> {
  return (await run.store.readJson<ObservedDatabase[]>(DATABASES)) ?? [];
}

/** Replaces the record of the databases Slipway created on this server. */
export async function writeDatabases(run: ServerRun, databases: ObservedDatabase[]): Promise<void> {
  await run.store.writeJson(DATABASES, databases);
}
