// Redis ACL users in desired state: one user per app and environment on each Redis instance it
// uses, limited to its key prefixes when it declares any, never given Slipway's admin user, and
// denied the commands that reach past its own keys (FLUSHALL, CONFIG, DEBUG, MODULE, SHUTDOWN,
// REPLICAOF…). The rules are data here; workflows/redis-acl.ts hands them to Redis with the
// password hashes, and the digest tells `diff` when an instance's users changed.
import { createHash } from 'node:crypto';
import { redisPasswordSecret, redisUrlSecret, redisUserName } from '../../model/names.ts';
import type { RedisDbSpec, RedisUserSpec } from './desired.ts';
import { stableStringify } from './hash.ts';
import type { Placement, ServiceInstance } from './placement.ts';

/**
 * Env vars that name a key prefix, as apps and their frameworks set them: a generic
 * `REDIS_PREFIX`, Django's cache `KEY_PREFIX`, Celery's `global_keyprefix`.
 */
export const REDIS_PREFIX_VARS = ['REDIS_PREFIX', 'REDIS_KEY_PREFIX', 'KEY_PREFIX', 'CACHE_KEY_PREFIX', 'CELERY_GLOBAL_KEYPREFIX'] as const;

/** What a prefix may hold: it goes into ACL rules and the ACL file as one word. */
const PREFIX_OK = /^[^\s"'\\\p{Cc}]+$/u;

/** Commands no app user gets, whatever its keys: on a shared instance they reach every environment. */
export const REDIS_DENIED = ['flushall', 'config', 'debug', 'module', 'shutdown', 'replicaof', 'slaveof', 'function', 'script|flush', 'script|kill'] as const;

/** Key prefixes an app declares in one environment: `redis.key_prefix`, then the env vars above (plain values only). */
export function declaredPrefixes(p: Placement): string[] {
  const out = new Set<string>(p.appEnv.redis?.keyPrefixes ?? []);
  const envs = [p.appEnv.env_vars, ...p.appEnv.processes.map((x) => x.env)];
  for (const env of envs) {
    for (const name of REDIS_PREFIX_VARS) {
      const v = env[name];
      if (v?.kind === 'plain' && v.value !== '') out.add(v.value);
    }
  }
  return [...out].filter((x) => PREFIX_OK.test(x)).sort();
}

/** One ACL user per app and environment on each Redis instance, with the DB it was allocated. */
export function redisUsers(instances: readonly ServiceInstance[], allocations: readonly { spec: RedisDbSpec }[]): { server: string; user: RedisUserSpec }[] {
  const out: { server: string; user: RedisUserSpec }[] = [];
  for (const inst of instances) {
    if (inst.service.kind !== 'redis') continue;
    for (const u of inst.users) {
      const alloc = allocations.find((r) => r.spec.instance === inst.key && r.spec.env === u.env.name && r.spec.app === u.app.name);
      if (!alloc) continue;
      const user = redisUserName(u.app.name, u.env.name);
      out.push({
        server: inst.server,
        user: {
          service: inst.service.name,
          instance: inst.key,
          env: u.env.name,
          app: u.app.name,
          user,
          db: alloc.spec.db,
          keyPrefixes: declaredPrefixes(u),
          soleUser: inst.users.length === 1,
          sharedAcrossEnvs: inst.users.some((o) => o.env.name !== u.env.name),
          host: inst.service.name,
          port: inst.service.port,
          passwordSecret: redisPasswordSecret(inst.name, user),
          urlSecret: redisUrlSecret(inst.name, user),
        },
      });
    }
  }
  return out;
}

/** Escapes Redis glob characters, so a prefix matches itself only. */
const globLiteral = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * The user's ACL rules after `reset on #HASH`: its keys and channels (`~prefix*` `&prefix*`, or
 * every key when it declares no prefix), every command but the dangerous ones and the list above.
 * FLUSHDB and KEYS stay for the one user of an instance with no prefix: it owns every key there;
 * SCAN and RANDOMKEY go where other environments share the instance.
 */
export function redisAclRules(u: RedisUserSpec): string[] {
  const own = u.keyPrefixes.map(globLiteral);
  const keys = own.length ? own.map((p) => `~${p}*`) : ['~*'];
  const channels = own.length ? own.map((p) => `&${p}*`) : ['&*'];
  const rules = [...keys, 'resetchannels', ...channels, '+@all', '-@dangerous', ...REDIS_DENIED.map((c) => `-${c}`)];
  if (u.soleUser && own.length === 0) rules.push('+flushdb', '+keys');
  else rules.push('-flushdb');
  // A key pattern limits the keys a command names, not the names SCAN and RANDOMKEY return: on an
  // instance other environments use, they would list those environments' keys in any DB.
  if (u.sharedAcrossEnvs) rules.push('-scan', '-randomkey');
  return rules;
}

/** What, when changed, makes `up` apply an instance's ACL again (never a password: their secret names only). */
export function redisAclDigest(users: readonly RedisUserSpec[]): string {
  const lines = [...users]
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .map((u) => ({ user: u.user, rules: redisAclRules(u), secret: u.passwordSecret, url: `${u.urlSecret} ${u.host}:${u.port}/${u.db}` }));
  return createHash('sha256').update(stableStringify(lines)).digest('hex').slice(0, 16);
}
