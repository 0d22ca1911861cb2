// Environments that run on one server while the fleet places them on another: a move, not a
// deletion. What they have on the old server (containers, networks, volumes, routes, databases,
// Redis DBs) is left out of that server's diff, so `up` never removes an environment the fleet
// file has only re-placed; the plan names the move and the command that carries it out
// (`slipway move ENV --to SERVER`), which removes it from the old server only at `--finish`.
import { LABELS } from '../../model/labels.ts';
import type { DesiredState } from '../desire/desired.ts';
import type { ObservedServer } from './observed.ts';
import type { PendingMove } from './plan.ts';

const envOf = (labels: Record<string, string>): string | undefined => labels[LABELS.env];

/** The moves pending on `o`'s server, and the observed server without what they keep there. */
export function withoutMoved(desired: DesiredState, o: ObservedServer): { observed: ObservedServer; moves: PendingMove[] } {
  // A server gone from the fleet file is emptied (nothing can be moved from it by `slipway move`).
  if (!desired.servers.some((s) => s.server === o.server)) return { observed: o, moves: [] };
  const placed = new Map<string, string>();
  for (const s of desired.servers) for (const n of s.networks) placed.set(n.env, s.server);
  const here = new Set([...placed].filter(([, server]) => server === o.server).map(([env]) => env));
  const seen = new Set<string>();
  for (const x of [...o.containers, ...o.networks, ...o.volumes]) {
    const env = envOf(x.labels);
    if (env !== undefined) seen.add(env);
  }
  for (const r of o.routes ?? []) seen.add(r.env);
  const moved = [...seen].filter((env) => !here.has(env) && placed.has(env)).sort();
  if (moved.length === 0) return { observed: o, moves: [] };
  const gone = new Set(moved);
  const dbNames = new Set(desired.servers.flatMap((s) => s.databases.filter((d) => gone.has(d.env)).map((d) => d.database)));
  const keep = (labels: Record<string, string>) => !gone.has(envOf(labels) ?? '');
  return {
    observed: {
      ...o,
      containers: o.containers.filter((c) => keep(c.labels)),
      networks: o.networks.filter((n) => keep(n.labels)),
      volumes: o.volumes.filter((v) => keep(v.labels)),
      ...(o.routes ? { routes: o.routes.filter((r) => !gone.has(r.env)) } : {}),
      ...(o.databases ? { databases: o.databases.filter((d) => !dbNames.has(d.database)) } : {}),
      ...(o.redisDbs ? { redisDbs: o.redisDbs.filter((r) => !gone.has(r.env)) } : {}),
    },
    moves: moved.map((env) => ({
      env,
      from: o.server,
      to: placed.get(env)!,
      reason: `placed on ${placed.get(env)} in the fleet file, runs on ${o.server}: left as it is here; move it with: slipway move ${env} --to ${placed.get(env)}`,
    })),
  };
}
