// Applying database and Redis DB actions. Databases are created (or re-granted) by
// `setupDatabases`, once per Postgres instance however many of its databases the plan names. A
// database delete (only in a plan made with --destroy-data) drops the database and its user with
// psql on the instance, forgets the record and the generated secrets. Redis allocations are
// recorded on the server; a reassigned or released DB is flushed first (as Slipway's admin user);
// an instance's ACL users are set live (workflows/redis-acl.ts). Deletes run while the
// instance still runs (the plan orders them before service deletes); an instance that is not
// running is fine only when its data volume goes in the same plan.
import { UserError } from '../diag/errors.ts';
import { LABELS } from '../model/labels.ts';
import { dbPasswordSecret, dbUrlSecret } from '../model/names.ts';
import { databaseId, redisDbId } from '../plan/diff/data.ts';
import type { ObservedContainer } from '../plan/diff/observed.ts';
import type { Action } from '../plan/diff/plan.ts';
import { quoteIdent } from '../render/sql.ts';
import { type ApplyContext, unsupported } from './apply-context.ts';
import { readDatabases, setupDatabases, writeDatabases } from './postgres-setup.ts';
import { applyRedisAcl as applyAcl, redisAdminCli } from './redis-acl.ts';
import { writeRedisAllocations } from './redis-allocations.ts';

export async function applyDatabase(ctx: ApplyContext, a: Action): Promise<string> {
  const { run } = ctx;
  if (a.kind === 'delete') return dropDatabase(ctx, a);
  const d = run.state.databases.find((x) => databaseId(x) === a.id);
  const instance = d && run.state.containers.find((c) => c.key === d.instance);
  if (!d || !instance || (a.kind !== 'create' && a.kind !== 'update')) return unsupported(a);
  if (ctx.converged.has(d.instance)) return `done with the other databases of ${instance.name}`;
  await setupDatabases(run, instance);
  ctx.converged.add(d.instance);
  return a.kind === 'create' ? 'created' : `granted to ${d.user}`;
}

async function dropDatabase(ctx: ApplyContext, a: Action): Promise<string> {
  const { run } = ctx;
  const o = ctx.observed.databases?.find((x) => databaseId(x) === a.id);
  if (!o) return unsupported(a);
  const container = runningInstance(ctx, o.instance);
  let outcome = 'dropped with its user';
  if (container) {
    const sql = `DROP DATABASE IF EXISTS ${quoteIdent(o.database)} WITH (FORCE);\nDROP ROLE IF EXISTS ${quoteIdent(o.user)};\n`;
    const r = await run.conn.engine.exec(container.name, ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'postgres'], {
      stdin: sql,
      user: 'postgres',
    });
    if (r.exitCode !== 0) {
      throw new UserError(
        `${run.conn.server.name}: dropping database ${o.database} on ${container.name} failed (psql exited ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        'nothing else was removed; look at the instance with: slipway status',
      );
    }
    for (const name of [dbPasswordSecret(container.name, o.database), dbUrlSecret(container.name, o.database)]) await run.store.deleteSecret(name);
  } else {
    requireVolumeGoes(ctx, o.instance, `drop database ${o.database}`);
    outcome = 'forgotten (its instance is gone and its volume is deleted)';
  }
  await writeDatabases(
    run,
    (await readDatabases(run)).filter((x) => databaseId(x) !== a.id),
  );
  return outcome;
}

export async function applyRedisDb(ctx: ApplyContext, a: Action): Promise<string> {
  const { run } = ctx;
  const others = ctx.redis.filter((r) => redisDbId(r) !== a.id);
  if (a.kind === 'create' || a.kind === 'update') {
    const d = run.state.redisDbs.find((r) => redisDbId(r) === a.id);
    if (!d) return unsupported(a);
    if (a.kind === 'update') {
      // Reassigned: the previous owner's keys must not be seen by the new one.
      const container = run.state.containers.find((c) => c.key === d.instance);
      if (!container) return unsupported(a);
      await flush(ctx, container.name, d.db);
    }
    ctx.redis = [...others, d];
    return a.kind === 'create' ? 'allocated' : 'flushed and reassigned';
  }
  if (a.kind !== 'delete') return unsupported(a);
  const o = ctx.redis.find((r) => redisDbId(r) === a.id);
  if (!o) return unsupported(a);
  const container = runningInstance(ctx, o.instance);
  if (container) await flush(ctx, container.name, o.db);
  else requireVolumeGoes(ctx, o.instance, `flush Redis db ${o.db}`);
  ctx.redis = others;
  return container ? 'flushed and released' : 'released (its instance is gone and its volume is deleted)';
}

/** Records the allocations as they now stand (after a run of redis-db actions). */
export async function saveRedis(ctx: ApplyContext): Promise<void> {
  const sorted = [...ctx.redis].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.db - b.db));
  await writeRedisAllocations(ctx.run.store, sorted);
}

/** Sets an instance's ACL users live (the plan's redis-acl action). */
export async function applyRedisAcl(ctx: ApplyContext, a: Action): Promise<string> {
  const instance = ctx.run.state.containers.find((c) => c.key === a.id && c.role === 'service');
  if (!instance || (a.kind !== 'create' && a.kind !== 'update')) return unsupported(a);
  return applyAcl(ctx.run, instance, instance.name);
}

async function flush(ctx: ApplyContext, container: string, db: number): Promise<void> {
  const r = await redisAdminCli(ctx.run, container, ['FLUSHDB'], { db });
  if (r.exitCode !== 0 || !/OK/.test(r.stdout)) {
    throw new UserError(
      `${ctx.run.conn.server.name}: flushing Redis db ${db} on ${container} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`,
      'nothing was released; look at the instance with: slipway status',
    );
  }
}

/** The running service container of a Postgres/Redis instance key, as observed. */
function runningInstance(ctx: ApplyContext, instance: string): ObservedContainer | undefined {
  return ctx.observed.containers.find((c) => c.key === instance && c.role === 'service' && c.state === 'running');
}

/** An instance that is not running: acceptable only when this plan deletes its data volume too. */
function requireVolumeGoes(ctx: ApplyContext, instance: string, what: string): void {
  const [, service, env] = instance.split('/');
  const volumes = ctx.observed.volumes.filter((v) => v.labels[LABELS.service] === service && v.labels[LABELS.env] === env);
  const deleted = new Set(ctx.actions.filter((x) => x.type === 'volume' && x.kind === 'delete').map((x) => x.id));
  if (volumes.length > 0 && volumes.every((v) => deleted.has(v.name))) return;
  throw new UserError(
    `${ctx.run.conn.server.name}: cannot ${what}: its instance ${instance} is not running`,
    'start it first (put it back in the fleet and run slipway up), or remove its data volume in the same run',
  );
}
