// The fleet as each side of a move sees it: the same fleet file with the environment (and every
// app placed with it) on the source server or on the target server. The source's side is never
// `up`'d during a move (its running services stay as they are, e.g. an older Postgres); it only
// reloads its proxy and stops or starts the environment's workers.
import type { Fleet, Server } from '../../config/fleet.ts';
import { UsageError } from '../../diag/errors.ts';

/** `fleet` with `env` placed on `server` (apps that followed the environment's server follow it there). */
export function fleetAt(fleet: Fleet, env: string, server: string): Fleet {
  const e = fleet.environments.find((x) => x.name === env);
  if (!e) throw new UsageError(`unknown environment "${env}"`, `environments in the fleet: ${fleet.environments.map((x) => x.name).join(', ')}`);
  const from = e.server;
  return {
    ...fleet,
    environments: fleet.environments.map((x) => (x.name === env ? { ...x, server } : x)),
    apps: fleet.apps.map((a) => {
      const pe = a.perEnv[env];
      if (!pe || pe.server !== from) return a;
      return { ...a, perEnv: { ...a.perEnv, [env]: { ...pe, server } } };
    }),
  };
}

export function requireServer(fleet: Fleet, name: string, what: string): Server {
  const s = fleet.servers.find((x) => x.name === name);
  if (!s) throw new UsageError(`unknown server "${name}" (${what})`, `servers in the fleet: ${fleet.servers.map((x) => x.name).join(', ')}`);
  return s;
}

/** Where another server reaches this one: its first public address, else its SSH host, else loopback (local). */
export function reachableAddress(server: Server): string {
  if (server.addresses?.length) return server.addresses.find((a) => !a.includes(':')) ?? server.addresses[0]!;
  if (server.transport.kind === 'ssh') return server.transport.host;
  return '127.0.0.1';
}
