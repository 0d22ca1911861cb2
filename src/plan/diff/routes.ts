// Diff of proxy routes on one server, matched by host: upstream, basic auth, rate limit, TLS
// mode and maintenance flag are compared. Basic-auth entries carry secret names only, never
// values; the plan view shows them as (sensitive). Any route change adds one proxy-config
// reload action (see diff.ts).
import type { Route } from '../desire/desired.ts';
import type { Action } from './plan.ts';

export function diffRoutes(server: string, desired: Route[], observed: Route[]): Action[] {
  const actions: Action[] = [];
  const have = new Map(observed.map((r) => [r.host, r]));
  const want = new Set(desired.map((r) => r.host));
  for (const d of desired) {
    const o = have.get(d.host);
    if (!o) {
      actions.push({ kind: 'create', type: 'route', server, id: d.host, reason: `route to ${d.upstream} does not exist` });
      continue;
    }
    const changes = routeChanges(o, d);
    const fields = Object.keys(changes);
    if (fields.length > 0) {
      actions.push({ kind: 'update', type: 'route', server, id: d.host, reason: `route changed: ${fields.join(', ')}`, changes });
    }
  }
  const gone = new Set<string>();
  for (const o of observed) {
    if (want.has(o.host) || gone.has(o.host)) continue;
    gone.add(o.host);
    actions.push({ kind: 'delete', type: 'route', server, id: o.host, reason: 'no longer in the fleet' });
  }
  return actions;
}

export function routeChanges(o: Route, d: Route): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  if (o.upstream !== d.upstream) changes.upstream = [o.upstream, d.upstream];
  if (canonAuth(o.basicAuth) !== canonAuth(d.basicAuth)) changes.auth = [o.basicAuth, d.basicAuth];
  if (JSON.stringify(o.rateLimit) !== JSON.stringify(d.rateLimit)) changes.rateLimit = [o.rateLimit, d.rateLimit];
  if (canonJson(o.tls) !== canonJson(d.tls)) changes.tls = [o.tls, d.tls];
  if (o.maintenance !== d.maintenance) changes.maintenance = [o.maintenance, d.maintenance];
  return changes;
}

/** JSON with keys sorted at every level: equal settings compare equal whatever their key order. */
function canonJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function canonAuth(a: Route['basicAuth']): string {
  if (!a) return 'null';
  const sorted = [...a].sort((x, y) => (x.user < y.user ? -1 : x.user > y.user ? 1 : 0));
  return JSON.stringify(sorted.map((u) => [u.user, u.secret]));
}
