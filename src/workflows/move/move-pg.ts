// The environment's databases in a move: each side's endpoint (the instance the app's database
// lives on, its superuser, a network one-off containers reach it on), the relay each side
// publishes for the other's subscription, and the method per database (pg-inspect.ts). The
// replication role's password is generated once and kept on the source (like every generated
// secret); its name is the subscription's.
import { UserError } from '../../diag/errors.ts';
import { privateNetwork, superuserSecret } from '../../model/names.ts';
import type { ContainerSpec } from '../../plan/desire/desired.ts';
import { generatePassword } from '../postgres-setup.ts';
import type { ServerRun } from '../server-run.ts';
import type { MoveDatabase } from './move-record.ts';
import type { PgEndpoint } from './pg-endpoint.ts';
import { ensureRelay } from './pg-relay.ts';
import { reachableAddress } from './move-fleet.ts';
import type { Secret } from '../../util/secret.ts';

/** The port each side's relay is published on (the other server's Postgres connects to it). */
export const RELAY_PORT = 15432;

export interface EnvDatabase {
  service: string;
  database: string;
  user: string;
  instance: ContainerSpec;
}

/** The databases of `env` on this run's server, with the instance each lives on. */
export function envDatabases(run: ServerRun, env: string): EnvDatabase[] {
  return run.state.databases
    .filter((d) => d.env === env)
    .map((d) => {
      const instance = run.state.containers.find((c) => c.key === d.instance);
      if (!instance) throw new Error(`${run.conn.server.name}: no instance ${d.instance} for database ${d.database}`);
      return { service: d.service, database: d.database, user: d.user, instance };
    })
    .sort((a, b) => a.database.localeCompare(b.database));
}

export async function endpointOf(run: ServerRun, env: string, db: EnvDatabase): Promise<PgEndpoint> {
  const password = await run.store.getSecret(superuserSecret(db.service));
  if (!password)
    throw new UserError(
      `${run.conn.server.name}: no superuser password for ${db.service} in the server's state`,
      `run slipway up on ${run.conn.server.name} first (it creates the instance and its password)`,
    );
  const network = privateNetwork(run.fleet.project, env);
  const net = db.instance.networks.find((n) => n.network === network) ?? db.instance.networks[0];
  if (!net) throw new Error(`${db.instance.name} is on no network`);
  return {
    engine: run.conn.engine,
    server: run.conn.server.name,
    container: db.instance.name,
    database: db.database,
    owner: db.user,
    admin: { network: net.network, password },
  };
}

/** The relay on this side, published on the server's address, so the other side's Postgres reaches this one. */
export async function withRelay(run: ServerRun, env: string, ep: PgEndpoint): Promise<PgEndpoint> {
  const info = await run.conn.engine.inspectContainer(ep.container);
  const reach = await ensureRelay(run.conn.engine, {
    project: run.fleet.project,
    env,
    pgContainer: ep.container,
    network: ep.admin.network,
    bindAddress: reachableAddress(run.conn.server),
    port: RELAY_PORT,
    // Another move from this server (of another environment or project) may hold the first ports.
    portsToTry: 32,
    image: info.image,
  });
  return { ...ep, reach };
}

/** Subscription and role names: one per database and direction. */
export const replicationName = (db: string, reverse = false): string => `slipway_move_${db.replace(/[^a-z0-9_]/g, '_')}${reverse ? '_back' : ''}`.slice(0, 63);

/** The replication role's password, generated once, kept on this side's state. */
export async function replicationPassword(run: ServerRun, name: string): Promise<Secret> {
  const key = `slipway/move/${name}`;
  let pw = await run.store.getSecret(key);
  if (!pw) {
    pw = generatePassword(key);
    await run.store.setSecret(key, pw);
  }
  return pw;
}

export type { MoveDatabase };
