// Cross-environment references: a plain env var value in env X that names something of env Y
// (a process alias like `aletheia-prod-web`, a domain routed for Y, or Y's database name). That
// is how a staging box ends up writing to prod; the private networks stop the alias, not the rest.
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

type Kind = 'alias' | 'domain' | 'database';

export const checkCrossEnvReferences: CheckRule = ({ desired }) => {
  // token -> envs that own it, and what it is
  const tokens = new Map<string, { envs: Set<string>; kind: Kind }>();
  const add = (token: string, env: string, kind: Kind): void => {
    const t = token.toLowerCase();
    const cur = tokens.get(t) ?? { envs: new Set<string>(), kind };
    cur.envs.add(env);
    tokens.set(t, cur);
  };
  for (const s of desired.servers) {
    for (const c of s.containers) {
      if (c.role !== 'app' || c.env === undefined) continue;
      for (const n of c.networks) for (const a of n.aliases) add(a, c.env, 'alias');
    }
    for (const r of s.routes) add(r.host, r.env, 'domain');
    for (const d of s.databases) add(d.database, d.env, 'database');
  }

  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const s of desired.servers) {
    for (const c of s.containers) {
      const env = c.env;
      if (env === undefined) continue;
      for (const [key, v] of Object.entries(c.env_vars)) {
        if (v.kind !== 'plain') continue;
        const value = v.value.toLowerCase();
        for (const [token, { envs, kind }] of tokens) {
          if (envs.has(env) || !contains(value, token)) continue;
          const who = c.app ?? `service/${c.service}`;
          const id = `${who}\u0000${env}\u0000${key}\u0000${token}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const other = [...envs].sort().join(', ');
          const f: Finding = {
            severity: 'error',
            code: 'cross-env-reference',
            server: s.server,
            env,
            subject: `${who}/${env}/${key}`,
            message: `${key} of ${who} in ${env} names ${token}, the ${kind === 'alias' ? 'address' : kind === 'domain' ? 'domain' : 'database'} of ${other}`,
            hint:
              kind === 'alias'
                ? `refer to a process as \${app.process}: it resolves to the same env's alias`
                : kind === 'domain'
                  ? `use the ${env} domain, or \${app.process} to stay on the private network`
                  : `leave DATABASE_URL/PGDATABASE to slipway: it injects ${env}'s own database`,
          };
          if (c.app !== undefined) f.app = c.app;
          out.push(finding(f));
        }
      }
    }
  }
  return out;
};

/** True when `token` occurs in `value` as a whole name (not inside a longer host or identifier). */
function contains(value: string, token: string): boolean {
  let i = value.indexOf(token);
  while (i >= 0) {
    const before = i === 0 ? '' : value[i - 1]!;
    const after = value[i + token.length] ?? '';
    if (!/[a-z0-9_.-]/.test(before) && !/[a-z0-9_-]/.test(after)) return true;
    i = value.indexOf(token, i + 1);
  }
  return false;
}
