// Which servers an environment touches (its own server, plus the servers its apps are placed on),
// and the runs of a session that belong to it. Shared by the CLI (to open a session on the right
// servers) and by workflows that act on one environment across servers.
import type { Fleet } from '../config/fleet.ts';
import { UsageError } from '../diag/errors.ts';
import type { FleetSession } from './fleet-session.ts';
import type { ServerRun } from './server-run.ts';

/** Servers an environment touches (its own, plus app placements). */
export function serversOfEnv(fleet: Fleet, env: string): string[] {
  const s = new Set<string>();
  for (const e of fleet.environments) if (e.name === env) s.add(e.server);
  for (const a of fleet.apps) if (a.perEnv[env]) s.add(a.perEnv[env]!.server);
  return [...s];
}

/** Throws a UsageError (bad input, exit 2) when `env` is not an environment of the fleet. */
export function requireEnv(fleet: Fleet, env: string): void {
  if (!fleet.environments.some((e) => e.name === env))
    throw new UsageError(`unknown environment "${env}"`, `environments in the fleet: ${fleet.environments.map((e) => e.name).join(', ') || '(none)'}`);
}

/** The session's runs on the servers of `env` (every run when `env` is undefined), by server name. */
export function runsOfEnv(session: FleetSession, env: string | undefined): [string, ServerRun][] {
  if (env === undefined) return [...session.runs];
  requireEnv(session.fleet, env);
  const servers = serversOfEnv(session.fleet, env);
  return [...session.runs].filter(([server]) => servers.includes(server));
}
