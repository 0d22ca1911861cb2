// External networks and volumes (compose `external: true`) are used by their own name and never
// created by Slipway. Before a deploy starts containers, each one its app uses in the environment
// must exist, as compose requires: otherwise Docker would quietly make an empty volume of that name
// (the data the team meant is elsewhere), or fail on the missing network halfway through a rollout.
import { UserError } from '../diag/errors.ts';
import type { ServerRun } from './server-run.ts';

/** The external networks and volumes of `app` in `env` that do not exist on this server. */
export async function missingExternals(run: ServerRun, app: string, env: string): Promise<{ type: 'network' | 'volume'; name: string }[]> {
  const wanted = (run.state.externals ?? []).filter((x) => x.app === app && x.env === env);
  if (wanted.length === 0) return [];
  const { engine } = run.conn;
  const [networks, volumes] = await Promise.all([
    wanted.some((x) => x.type === 'network') ? engine.listNetworks({}) : [],
    wanted.some((x) => x.type === 'volume') ? engine.listVolumes({}) : [],
  ]);
  const have = { network: new Set(networks.map((n) => n.name)), volume: new Set(volumes.map((v) => v.name)) };
  return wanted.filter((x) => !have[x.type].has(x.name)).map((x) => ({ type: x.type, name: x.name }));
}

/** Throws a UserError naming each missing external network and volume, with the command that creates it. */
export async function assertExternals(run: ServerRun, app: string, env: string): Promise<void> {
  const missing = await missingExternals(run, app, env);
  if (missing.length === 0) return;
  const server = run.conn.server.name;
  throw new UserError(
    `${app} in ${env} uses ${missing.map((m) => `external ${m.type} ${m.name}`).join(', ')}, which ${missing.length === 1 ? 'does' : 'do'} not exist on ${server}`,
    `create ${missing.length === 1 ? 'it' : 'them'} on ${server} (${missing.map((m) => `docker ${m.type} create ${m.name}`).join('; ')}), or drop "external: true" in the compose file to get one per environment`,
  );
}
