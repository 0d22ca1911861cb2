// Keys on a shared Redis: ACL users keep environments apart only by key prefix (`~prefix*`). DB
// numbers are a namespace, not a boundary (any user may SELECT any DB), so an environment on a
// server-scoped Redis whose keys another environment's user can match shares them with it: every
// key when either declares no prefix. An error for a protected environment unless its app accepts
// it (`redis: { accept_shared_keys: true }`), a warning otherwise.
import type { RedisUserSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

/** True when a key of `a` can match a pattern of `b` or the reverse (one prefix starts the other, or either has none). */
function overlaps(a: RedisUserSpec, b: RedisUserSpec): boolean {
  if (a.keyPrefixes.length === 0 || b.keyPrefixes.length === 0) return true;
  return a.keyPrefixes.some((p) => b.keyPrefixes.some((q) => p.startsWith(q) || q.startsWith(p)));
}

export const checkRedisSharedKeys: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const users = s.redisUsers ?? [];
    for (const instance of [...new Set(users.map((u) => u.instance))]) {
      const here = users.filter((u) => u.instance === instance);
      const container = s.containers.find((c) => c.key === instance);
      for (const u of here) {
        const others = here.filter((o) => o.env !== u.env && overlaps(u, o));
        if (others.length === 0) continue;
        const env = fleet.environments.find((e) => e.name === u.env);
        const accepted = fleet.apps.find((a) => a.name === u.app)?.perEnv[u.env]?.redis?.acceptSharedKeys === true;
        if (accepted) continue;
        const protectedEnv = env?.protected === true;
        const whom = [...new Set(others.map((o) => `${o.app} (${o.env})`))].join(', ');
        const what =
          u.keyPrefixes.length === 0
            ? 'declares no key prefix, so its keys are open to'
            : `has key prefix ${u.keyPrefixes.map((p) => `"${p}"`).join(', ')}, which is open to`;
        out.push(
          finding({
            severity: protectedEnv ? 'error' : 'warning',
            code: 'redis-shared-keys',
            server: s.server,
            env: u.env,
            app: u.app,
            subject: `${s.server}/${instance}/${u.user}`,
            message: `${u.app} in ${u.env}${protectedEnv ? ' (protected)' : ''} shares Redis ${container?.name ?? instance} with other environments and ${what} ${whom}: their ACL users can read, overwrite and delete its keys in every DB (a DB number is not a boundary)`,
            hint: `give every app on it a distinct key prefix (apps.${u.app}.redis.key_prefix: "{app}:{env}:", or REDIS_PREFIX / KEY_PREFIX / CELERY_GLOBAL_KEYPREFIX in its env), or set \`scope: environment\` on service ${u.service} (a few MB per environment)${protectedEnv ? `, or accept it: apps.${u.app}.redis.accept_shared_keys: true` : ''}`,
          }),
        );
      }
    }
  }
  return out;
};
