// `check --live` tries what an attacker would. For each app and environment that uses a shared
// Postgres or Redis on a server, a short-lived container of the instance's own image joins that
// environment's private network only and, with the credentials Slipway gave the app (its
// DATABASE_URL / REDIS_URL, resolved as a deploy resolves them), tries:
//   Redis:    connect without credentials; FLUSHALL; CONFIG GET; KEYS *; SELECT each other
//             environment's DB on the same instance, then read its canary key, write it, list its
//             key names.
//   Postgres: connect without credentials (as postgres, and as its own role); as its own role:
//             CREATE DATABASE, CREATE ROLE, read pg_authid, connect to each other environment's
//             database on the same instance.
// Every attempt must be refused; one that succeeds is a failed check naming the attempt, the
// environment, the instance and what it answered. A control first proves the credentials work
// from there: if they do not, the refusals prove nothing and the check fails as inconclusive.
// Nothing destructive happens when an attempt succeeds: FLUSHALL is only queued in a MULTI that
// is discarded, a database or role that could be created is dropped at once, and writes touch
// only the canary keys (planted with each victim's own credentials, EX 300, deleted afterwards).
import { randomBytes } from 'node:crypto';
import type { EnvValue } from '../config/fleet.ts';
import { LABELS } from '../model/labels.ts';
import { dbUrlSecret, privateNetwork } from '../model/names.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { mapLimit } from '../util/map-limit.ts';
import { redactSecrets, Secret } from '../util/secret.ts';
import { resolveEnv } from './env-resolve.ts';
import { POSTGRES_ATTACKS, REDIS_ATTACKS, REDIS_CANARY } from './isolation-attacks-scripts.ts';
import { judgePostgres, judgeRedis, parseAttempts, type Verdict } from './isolation-attacks-verdict.ts';
import { secretLookup } from './secrets-file-lookup.ts';
import type { ServerRun } from './server-run.ts';

/** One attempt's result, in isolation-live.ts's LiveCheck shape. */
export interface AttackCheck {
  server: string;
  check: 'redis' | 'database';
  ok: boolean;
  subject: string;
  message: string;
  /** The environment the attempt came from. */
  env: string;
  app: string;
  /** `redis/flushall`, `postgres/connect:aletheia_prod`… */
  attempt: string;
  /** The instance that answered. */
  target: string;
  /** The other environment the attempt reached for (SELECT its DB, connect to its database). */
  victim?: string;
  /** `contained`: allowed, but it reaches this environment's own data only (KEYS on an instance it alone uses). */
  outcome: 'refused' | 'succeeded' | 'inconclusive' | 'contained';
  answer: string;
  ms?: number;
}

/** Attacker containers running at once on one server. */
const PARALLEL = 4;
const TIMEOUT_MS = 90_000;

interface Credentials {
  /** The variable the app reads (DATABASE_URL, REDIS_URL, CACHE_URL…). */
  variable: string;
  url: Secret;
  /** URL parts, still wrapped, for the container's env. */
  parts: Record<'ATTACK_USER' | 'ATTACK_PASS' | 'ATTACK_HOST' | 'ATTACK_PORT' | 'ATTACK_DB', Secret>;
  /** What to redact from answers: the URL and its password. */
  secrets: Secret[];
}

interface Attacker {
  kind: 'redis' | 'postgres';
  instance: ContainerSpec;
  env: string;
  app: string;
  creds: Credentials;
  /** Redis: the other environments' DBs on the instance; Postgres: their databases. */
  victims: Victim[];
}

interface Victim {
  env: string;
  app: string;
  /** Redis DB number, or Postgres database name. */
  db: string;
  /** Redis: the canary planted there with the victim's own credentials. */
  canary?: { key: string; value: string; creds: Credentials; writeKey: string };
}

export async function attackChecks(run: ServerRun): Promise<AttackCheck[]> {
  const { attackers, unresolved } = await planAttackers(run);
  if (attackers.length === 0) return unresolved;
  const planted = await plantCanaries(run, attackers);
  try {
    const label = `attacker attempts from ${new Set(attackers.map((a) => a.env)).size} environment(s) against ${new Set(attackers.map((a) => a.instance.name)).size} shared instance(s)`;
    const results = await run.report.step(label, () => mapLimit(attackers, PARALLEL, (a) => runAttacker(run, a)));
    return [...unresolved, ...results.flat()];
  } finally {
    await removeCanaries(run, planted);
  }
}

/**
 * Who attacks whom on this server: every app × environment with a database or Redis DB on a shared
 * instance. An app whose URL cannot be resolved (a secret `up` has not written yet) is reported as
 * inconclusive, never skipped silently.
 */
async function planAttackers(run: ServerRun): Promise<{ attackers: Attacker[]; unresolved: AttackCheck[] }> {
  const out: Attacker[] = [];
  const unresolved: AttackCheck[] = [];
  const credentials = async (app: ContainerSpec, variable: string, value: EnvValue, kind: Attacker['kind'], instance: ContainerSpec) => {
    const r = await resolveCredentials(run, app, variable, value, kind);
    if ('error' in r) {
      const attempt = `${kind}/own-credentials`;
      unresolved.push({
        server: run.conn.server.name,
        check: kind === 'redis' ? 'redis' : 'database',
        ok: false,
        subject: `${app.env} ${attempt}`,
        message: `inconclusive: ${app.app} (${app.env})'s ${variable} for ${instance.name} cannot be resolved, so no attempt was made with it: ${r.error}`,
        env: app.env ?? '',
        app: app.app ?? '',
        attempt,
        target: instance.name,
        outcome: 'inconclusive',
        answer: r.error,
      });
      return undefined;
    }
    return r;
  };
  for (const d of run.state.databases) {
    const instance = run.state.containers.find((c) => c.key === d.instance && c.role === 'service');
    const app = appSpec(run, d.app, d.env);
    if (!instance || !app) continue;
    const ref = Object.entries(app.env_vars).find(([, v]) => v.kind === 'secret' && v.name === dbUrlSecret(instance.name, d.database)) ?? [
      'DATABASE_URL',
      { kind: 'plain', value: '' } as const,
    ];
    const creds = await credentials(app, ref[0], ref[1], 'postgres', instance);
    if (!creds) continue;
    const victims = run.state.databases.filter((o) => o.instance === d.instance && o.env !== d.env).map((o) => ({ env: o.env, app: o.app, db: o.database }));
    out.push({ kind: 'postgres', instance, env: d.env, app: d.app, creds, victims });
  }
  const redis: { alloc: (typeof run.state.redisDbs)[number]; instance: ContainerSpec; creds: Credentials; canary: NonNullable<Victim['canary']> }[] = [];
  for (const r of run.state.redisDbs) {
    const instance = run.state.containers.find((c) => c.key === r.instance && c.role === 'service');
    const app = appSpec(run, r.app, r.env);
    if (!instance || !app) continue;
    const variable = redisVariable(run, app, r.service) ?? 'REDIS_URL';
    const value = app.env_vars[variable] ?? ({ kind: 'plain', value: '' } as const);
    const creds = await credentials(app, variable, value, 'redis', instance);
    // One canary per victim DB, whoever attacks it.
    if (creds) redis.push({ alloc: r, instance, creds, canary: canaryFor(run, r, creds) });
  }
  for (const a of redis) {
    const victims = redis
      .filter((o) => o.alloc.instance === a.alloc.instance && o.alloc.env !== a.alloc.env)
      .map((o) => ({ env: o.alloc.env, app: o.alloc.app, db: String(o.alloc.db), canary: o.canary }));
    out.push({ kind: 'redis', instance: a.instance, env: a.alloc.env, app: a.alloc.app, creds: a.creds, victims });
  }
  return { attackers: out, unresolved };
}

/** The first process of an app in an environment on this server (every process gets the same injected URLs). */
function appSpec(run: ServerRun, app: string, env: string): ContainerSpec | undefined {
  return run.state.containers.find((c) => c.role === 'app' && c.app === app && c.env === env);
}

/** The variable desire injected for this Redis service: REDIS_URL for the app's first Redis, `{SERVICE}_URL` for the others. */
function redisVariable(run: ServerRun, app: ContainerSpec, service: string): string | undefined {
  const own = `${service.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_URL`;
  const uses = run.fleet.apps.find((a) => a.name === app.app)?.uses ?? [];
  const firstRedis = uses.find((u) => run.fleet.services.find((s) => s.name === u)?.kind === 'redis');
  const name = firstRedis === service ? 'REDIS_URL' : own;
  return app.env_vars[name] ? name : app.env_vars[own] ? own : undefined;
}

/** The app's URL for the service, resolved as a deploy resolves it, split into wrapped parts. */
async function resolveCredentials(
  run: ServerRun,
  app: ContainerSpec,
  variable: string,
  value: EnvValue,
  kind: Attacker['kind'],
): Promise<Credentials | { error: string }> {
  let v: string | Secret | undefined;
  try {
    v = (await resolveEnv({ [variable]: value }, secretLookup(run), app.name, app.env)).env[variable];
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (v === undefined || v === '') return { error: `the app has no ${variable}` };
  const url = typeof v === 'string' ? new Secret(v, variable) : v;
  const part = (f: (u: URL) => string) =>
    url.map((s) => {
      try {
        return f(new URL(s));
      } catch {
        return '';
      }
    });
  const pass = part((u) => decodeURIComponent(u.password));
  return {
    variable,
    url,
    parts: {
      ATTACK_USER: part((u) => decodeURIComponent(u.username)),
      ATTACK_PASS: pass,
      ATTACK_HOST: part((u) => u.hostname),
      ATTACK_PORT: part((u) => u.port || (kind === 'redis' ? '6379' : '5432')),
      ATTACK_DB: part((u) => decodeURIComponent(u.pathname.replace(/^\//, '')) || (kind === 'redis' ? '0' : '')),
    },
    secrets: [url, pass],
  };
}

/** A key the victim's own ACL user may write: under its first key prefix when it declares one. */
function canaryFor(run: ServerRun, alloc: { instance: string; env: string; app: string }, creds: Credentials): NonNullable<Victim['canary']> {
  const users = run.state.redisUsers ?? [];
  const prefix = users.find((u) => u.instance === alloc.instance && u.env === alloc.env && u.app === alloc.app)?.keyPrefixes[0] ?? '';
  const hex = randomBytes(6).toString('hex');
  return {
    key: `${prefix}slipway:isolation-canary:${alloc.app}:${alloc.env}:${hex}`,
    writeKey: `${prefix}slipway:isolation-canary:${alloc.app}:${alloc.env}:${hex}:written`,
    value: `canary-${randomBytes(8).toString('hex')}`,
    creds,
  };
}

interface Planted {
  instance: string;
  /** The canary and the key the write attempts set. */
  keys: string[];
  creds: Credentials;
}

/** Each victim's canary, set by exec inside the instance with the victim's own credentials. */
async function plantCanaries(run: ServerRun, attackers: Attacker[]): Promise<Planted[]> {
  const seen = new Map<string, Planted>();
  for (const a of attackers) {
    for (const v of a.victims) {
      if (!v.canary || seen.has(v.canary.key)) continue;
      const c = v.canary;
      const r = await canaryExec(run, a.instance.name, c.creds, ['set', c.key, c.value]);
      // A canary that could not be planted leaves select-read unable to prove a read: say so.
      if (r !== 'OK')
        run.report.warn(
          `${run.conn.server.name}: could not plant a canary key for ${v.env} in ${a.instance.name} (${r}): the read attempts against it prove less`,
        );
      seen.set(c.key, { instance: a.instance.name, keys: [c.key, c.writeKey], creds: c.creds });
    }
  }
  return [...seen.values()];
}

async function removeCanaries(run: ServerRun, planted: Planted[]): Promise<void> {
  for (const p of planted) await canaryExec(run, p.instance, p.creds, ['del', ...p.keys]).catch(() => undefined);
}

async function canaryExec(run: ServerRun, instance: string, creds: Credentials, args: string[]): Promise<string> {
  const r = await run.conn.engine.exec(instance, ['sh', '-c', REDIS_CANARY, 'canary', ...args], {
    env: { ...creds.parts, ATTACK_HOST: '127.0.0.1' },
  });
  return redactSecrets(`${r.stdout}${r.stderr}`, creds.secrets).trim().split('\n')[0] || `exit ${r.exitCode}`;
}

async function runAttacker(run: ServerRun, a: Attacker): Promise<AttackCheck[]> {
  const server = run.conn.server.name;
  const fresh = `slipway_attack_${randomBytes(4).toString('hex')}`;
  const args =
    a.kind === 'redis' ? a.victims.flatMap((v) => [v.db, v.canary!.key, v.canary!.value, v.canary!.writeKey]) : [fresh, ...a.victims.map((v) => v.db)];
  const r = await run.conn.engine.runOnce(
    {
      name: `${run.fleet.project}-attack-${a.env}-${randomBytes(3).toString('hex')}`,
      image: a.instance.image,
      entrypoint: [],
      cmd: ['sh', '-c', a.kind === 'redis' ? REDIS_ATTACKS : POSTGRES_ATTACKS, 'attack', ...args],
      env: a.creds.parts,
      labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'probe', [LABELS.env]: a.env, [LABELS.app]: a.app },
      networks: [{ name: privateNetwork(run.fleet.project, a.env), aliases: [] }],
      mounts: [],
      restart: 'no',
      stopTimeoutS: 1,
    },
    { timeoutMs: TIMEOUT_MS },
  );
  const attempts = parseAttempts(redactSecrets(r.logs, a.creds.secrets));
  const check = a.kind === 'redis' ? 'redis' : 'database';
  const base = { server, check, env: a.env, app: a.app, target: a.instance.name } as const;
  const control = attempts.find((x) => x.id === 'own-credentials');
  const controlOk = control && (a.kind === 'redis' ? judgeRedis(control) : judgePostgres(control)).outcome === 'succeeded';
  if (!controlOk) {
    const why = control
      ? a.kind === 'redis'
        ? judgeRedis(control).answer
        : judgePostgres(control).answer
      : `the attacker container did not run (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}): ${redactSecrets(r.logs, a.creds.secrets).trim().split('\n').pop() ?? ''}`;
    return [
      {
        ...base,
        ok: false,
        subject: `${a.env} ${a.kind}/own-credentials`,
        attempt: `${a.kind}/own-credentials`,
        outcome: 'inconclusive',
        answer: why,
        ...(control?.ms !== undefined ? { ms: control.ms } : {}),
        message: `inconclusive: ${a.app} (${a.env})'s own ${a.creds.variable} does not work from ${a.env}'s network against ${a.instance.name} (${why}), so the refusals there prove nothing`,
      },
    ];
  }
  const expected = expectedIds(a);
  return expected.map((id): AttackCheck => {
    const got = attempts.find((x) => x.id === id);
    const attempt = `${a.kind}/${id}`;
    if (!got) {
      return {
        ...base,
        ok: false,
        subject: `${a.env} ${attempt}`,
        attempt,
        outcome: 'inconclusive',
        answer: 'no answer',
        message: `inconclusive: ${describe(a, id)} from ${a.env} did not run (the attacker container exited ${r.exitCode}${r.timedOut ? ' after timing out' : ''})`,
      };
    }
    const victim = a.victims.find((v) => v.db === id.split(':')[1]);
    const verdict: Verdict = a.kind === 'redis' ? judgeRedis(got, victim?.canary?.value) : judgePostgres(got);
    // KEYS on an instance no other environment uses lists this environment's own keys and blocks
    // only itself (Slipway's ACL leaves KEYS to the sole user of an instance): allowed, contained.
    if (id === 'keys' && verdict.outcome === 'succeeded' && a.victims.length === 0) {
      return {
        ...base,
        ok: true,
        subject: `${a.env} ${attempt}`,
        attempt,
        outcome: 'contained',
        answer: verdict.answer,
        ...(got.ms !== undefined ? { ms: got.ms } : {}),
        message: `${a.env}: ${describe(a, id)} — allowed by ${a.instance.name}, which no other environment uses (its own keys only): ${verdict.answer}`,
      };
    }
    const ok = verdict.outcome === 'refused';
    return {
      ...base,
      ok,
      ...(victim ? { victim: victim.env } : {}),
      subject: `${a.env} ${attempt}`,
      attempt,
      outcome: verdict.outcome,
      answer: verdict.answer,
      ...(got.ms !== undefined ? { ms: got.ms } : {}),
      message: ok
        ? `${a.env}: ${describe(a, id)} — refused by ${a.instance.name}: ${verdict.answer}`
        : `${a.env}: ${describe(a, id)} — SUCCEEDED on ${a.instance.name} (${a.app}'s ${a.creds.variable}): ${verdict.answer}${HINTS[id.split(':')[0]!] ?? ''}`,
    };
  });
}

/** How to close what an attempt found open, where it is not obvious. */
const HINTS: Record<string, string> = {
  'select-list':
    " (a Redis ACL's key patterns limit the keys a command names, not the names SCAN and RANDOMKEY return: deny both to the users of a shared instance, as Slipway's ACL does, or give the service `scope: environment`)",
  'select-read':
    ' (its ACL user is not limited to its own key prefix: declare one with `redis: { key_prefix: … }` on the app, or give the service `scope: environment`)',
};

function expectedIds(a: Attacker): string[] {
  if (a.kind === 'redis')
    return [
      'no-credentials',
      'flushall',
      'config-get',
      'keys',
      ...a.victims.flatMap((v) => [`select-read:${v.db}`, `select-write:${v.db}`, `select-list:${v.db}`]),
    ];
  return ['no-credentials', 'no-credentials-own', 'create-database', 'create-role', 'read-pg-authid', ...a.victims.map((v) => `connect:${v.db}`)];
}

/** The attempt in words, naming the other environment it reaches for. */
function describe(a: Attacker, id: string): string {
  const [kind, arg] = id.split(':') as [string, string | undefined];
  const v = a.victims.find((x) => x.db === arg);
  const whose = v ? `${v.env}'s` : "another environment's";
  switch (kind) {
    case 'no-credentials':
      return a.kind === 'redis' ? 'connect to Redis without credentials' : 'connect to Postgres as postgres without a password';
    case 'no-credentials-own':
      return `connect to Postgres as its own role without a password`;
    case 'flushall':
      return 'FLUSHALL (queued in MULTI, then discarded)';
    case 'config-get':
      return 'CONFIG GET maxmemory';
    case 'keys':
      return 'KEYS * in its own DB';
    case 'select-read':
      return `SELECT ${whose} DB ${arg} and GET its key`;
    case 'select-write':
      return `SELECT ${whose} DB ${arg} and SET its key`;
    case 'select-list':
      return `SELECT ${whose} DB ${arg} and list its key names (SCAN)`;
    case 'create-database':
      return 'CREATE DATABASE as its own role';
    case 'create-role':
      return 'CREATE ROLE as its own role';
    case 'read-pg-authid':
      return 'read pg_authid (the password hashes) as its own role';
    case 'connect':
      return `connect to ${whose} database ${arg} as its own role`;
    default:
      return id;
  }
}
