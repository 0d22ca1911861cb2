// Web-facing rules: protected web processes need a health check (zero-downtime deploys wait on
// it), non-protected routes need basic auth, and Caddy here cannot enforce rate limits.
import { placements } from '../desire/placement.ts';
import { webProcess } from '../desire/apps.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

export const checkProtectedHealth: CheckRule = ({ fleet }) => {
  const out: Finding[] = [];
  for (const p of placements(fleet)) {
    if (!p.env.protected) continue;
    // Only the routed process takes traffic through the proxy; others (a database in a compose
    // app, say) are waited for by their port.
    const web = p.appEnv.domains.length ? webProcess(p.appEnv.processes) : undefined;
    // …and every process with domains of its own (`domains:` on a process).
    const routed = p.appEnv.processes.filter((x) => x === web || (x.domains?.length && x.port !== undefined));
    for (const proc of routed) {
      if (proc.health !== null) continue;
      out.push(
        finding({
          severity: 'warning',
          code: 'protected-web-without-health',
          server: p.server,
          env: p.env.name,
          app: p.app.name,
          subject: `${p.app.name}/${p.env.name}/${proc.name}`,
          message: `${p.app.name}/${proc.name} serves traffic in protected env ${p.env.name} without a health check: a deploy switches traffic before it is ready`,
          hint: `add \`health: { path: /health }\` to process ${proc.name} of ${p.app.name}`,
        }),
      );
    }
  }
  return out;
};

export const checkRouteAuth: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  for (const env of fleet.environments) {
    if (env.protected || env.auth !== null) continue;
    const hosts = desired.servers.flatMap((s) => s.routes.filter((r) => r.env === env.name).map((r) => r.host)).sort();
    if (hosts.length === 0) continue;
    const shown = hosts.slice(0, 3).join(', ') + (hosts.length > 3 ? ` and ${hosts.length - 3} more` : '');
    out.push(
      finding({
        severity: 'warning',
        code: 'route-without-auth',
        env: env.name,
        subject: env.name,
        message: `${env.name} is not protected and has no basic auth, yet is public at ${shown}`,
        hint: `add \`auth:\` to environment ${env.name} (or mark it \`protected: true\` if it is production)`,
      }),
    );
  }
  return out;
};

export const checkRateLimitSupport: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    if (s.proxy !== 'caddy') continue;
    const envs = [...new Set(s.routes.filter((r) => r.rateLimit !== null).map((r) => r.env))].sort();
    for (const env of envs) {
      out.push(
        finding({
          severity: 'warning',
          code: 'rate-limit-unsupported',
          server: s.server,
          env,
          subject: `${s.server}/${env}`,
          message: `${env} sets rate_limit, but server ${s.server} uses Caddy, and Debian's Caddy has no rate-limit module: requests will not be limited`,
          hint: `set \`proxy: nginx\` on server ${s.server} to enforce it`,
        }),
      );
    }
  }
  return out;
};
