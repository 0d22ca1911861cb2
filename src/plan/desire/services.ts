// Shared services in desired state: their containers and volumes, the databases and users
// Postgres gets per app and env, the Redis DB numbers, and the env vars injected into apps.
import type { EnvValue, Fleet } from '../../config/fleet.ts';
import type { ContainerSpec, DatabaseSpec, RedisDbSpec, RedisUserSpec, VolumeSpec } from './desired.ts';
import { DesireError } from './error.ts';
import {
  databaseName,
  dbPasswordSecret,
  dbUrlSecret,
  privateNetwork,
  REDIS_ACL_FILE,
  serviceDataVolume,
  serviceVolume,
  superuserSecret,
} from '../../model/names.ts';
import { LABELS } from '../../model/labels.ts';
import { instanceFor, type Placement, type ServiceInstance } from './placement.ts';
import { specHash } from './hash.ts';
import { effectiveContainerOptions, envScope, type ScopeDefaults, sharedScope } from '../../config/container-defaults.ts';

export const REDIS_DB_COUNT = 16;

/** A Slipway-managed Postgres without a command of the fleet file's: the image's server, with logical decoding on. */
export const POSTGRES_COMMAND: readonly string[] = ['postgres', '-c', 'wal_level=logical', '-c', 'max_replication_slots=16', '-c', 'max_wal_senders=16'];

const DATA_PATH: Record<string, string> = { postgres: '/var/lib/postgresql/data', redis: '/data' };

export function serviceContainer(fleet: Fleet, inst: ServiceInstance): { container: ContainerSpec; volumes: VolumeSpec[] } {
  const p = fleet.project;
  const s = inst.service;
  const labels: Record<string, string> = { [LABELS.project]: p, [LABELS.role]: 'service', [LABELS.service]: s.name };
  if (inst.env !== undefined) labels[LABELS.env] = inst.env;
  const mounts: Record<string, string> = {};
  const volumes: VolumeSpec[] = [];
  const dataPath = DATA_PATH[s.kind];
  if (dataPath !== undefined) {
    const v = serviceDataVolume(p, s.name, inst.env);
    mounts[v] = dataPath;
    volumes.push({ name: v, labels: { ...labels } });
  }
  for (const [vol, path] of Object.entries(s.volumes).sort(byKey)) {
    const v = serviceVolume(p, s.name, vol, inst.env);
    mounts[v] = path;
    volumes.push({ name: v, labels: { ...labels } });
  }
  const env: Record<string, EnvValue> = {};
  for (const [k, v] of Object.entries(s.env)) env[k] = { kind: 'plain', value: v };
  if (s.kind === 'postgres') env.POSTGRES_PASSWORD = { kind: 'secret', name: superuserSecret(s.name) };
  const options = effectiveContainerOptions(serviceScope(fleet, inst), s);
  Object.assign(labels, { ...options.labels, ...labels });
  const c: Omit<ContainerSpec, 'specHash'> = {
    ...structuredClone(options),
    key: inst.key,
    name: inst.name,
    role: 'service',
    service: s.name,
    replica: 0,
    image: s.image,
    env_vars: sortRecord(env),
    labels,
    networks: inst.envs.map((e) => ({ network: privateNetwork(p, e), aliases: [s.name] })),
    mounts,
    health: null,
    port: s.port,
    restart: options.restart ?? 'unless-stopped',
    // One data directory: two copies must never run at once.
    singleton: true,
    stopTimeoutS: s.stopTimeoutS ?? (s.kind === 'postgres' ? 60 : 10),
    publish: [],
  };
  if (inst.env !== undefined) c.env = inst.env;
  if (s.kind === 'redis') c.command = redisCommand(s.command);
  else if (s.command !== undefined) c.command = [...s.command];
  // Logical decoding on: a move to another server replicates the databases live (workflows/move/).
  else if (s.kind === 'postgres') c.command = [...POSTGRES_COMMAND];
  if (s.memory !== undefined) c.memory = s.memory;
  if (s.cpus !== undefined) c.cpus = s.cpus;
  // Networks are left out of the hash, as for the proxy: a shared service joins a new
  // environment's network live (`docker network connect`), and `down` removes an environment's
  // network without recreating the service that every other environment still uses.
  const hash = specHash({ ...c, networks: [] });
  labels[LABELS.specHash] = hash;
  return { container: { ...c, specHash: hash }, volumes };
}

/**
 * Redis reads its users from the ACL file in its data volume (written by Slipway before the first
 * start, kept up to date with ACL SAVE): the default user is off. A command of the fleet file
 * keeps its options (`redis-server --appendonly yes`, or options alone) and gets the file added.
 */
function redisCommand(command: readonly string[] | undefined): string[] {
  const base = command === undefined || command.length === 0 ? ['redis-server'] : command[0]!.startsWith('-') ? ['redis-server', ...command] : [...command];
  return base.includes('--aclfile') ? base : [...base, '--aclfile', REDIS_ACL_FILE];
}

/** An environment-scoped instance takes its environment's defaults; a server-scoped one is as protected as the most protected env it serves. */
function serviceScope(fleet: Fleet, inst: ServiceInstance): ScopeDefaults {
  const envs = fleet.environments.filter((e) => inst.envs.includes(e.name));
  const own = inst.env !== undefined ? envs.find((e) => e.name === inst.env) : undefined;
  return own ? envScope(own) : sharedScope(envs);
}

export function databases(instances: readonly ServiceInstance[]): { server: string; db: DatabaseSpec }[] {
  const out: { server: string; db: DatabaseSpec }[] = [];
  for (const inst of instances) {
    if (inst.service.kind !== 'postgres') continue;
    for (const u of inst.users) {
      const database = databaseName(u.app.name, u.env.name);
      out.push({
        server: inst.server,
        db: {
          service: inst.service.name,
          instance: inst.key,
          env: u.env.name,
          app: u.app.name,
          database,
          user: database,
          passwordSecret: dbPasswordSecret(inst.name, database),
        },
      });
    }
  }
  return out;
}

/**
 * Redis DB numbers per instance. Prior allocations for the same service, instance, env and app
 * are kept when still free; the rest get the lowest free number in env-then-app order. A prior
 * allocation of an env or app no longer in the fleet still holds its keys: its number stays
 * reserved until `up --destroy-data` flushes and releases it.
 */
export function allocateRedis(instances: readonly ServiceInstance[], prior: readonly RedisDbSpec[]): { server: string; spec: RedisDbSpec }[] {
  const out: { server: string; spec: RedisDbSpec }[] = [];
  for (const inst of instances) {
    if (inst.service.kind !== 'redis') continue;
    const taken = new Set<number>();
    const got = new Map<Placement, number>();
    for (const u of inst.users) {
      const keep = prior.find(
        (r) =>
          r.service === inst.service.name &&
          r.instance === inst.key &&
          r.env === u.env.name &&
          r.app === u.app.name &&
          Number.isInteger(r.db) &&
          r.db >= 0 &&
          r.db < REDIS_DB_COUNT &&
          !taken.has(r.db),
      );
      if (keep) {
        taken.add(keep.db);
        got.set(u, keep.db);
      }
    }
    const user = (r: RedisDbSpec) => inst.users.some((u) => r.env === u.env.name && r.app === u.app.name);
    for (const r of prior) if (r.service === inst.service.name && r.instance === inst.key && !user(r)) taken.add(r.db);
    for (const u of inst.users) {
      if (got.has(u)) continue;
      let db = 0;
      while (taken.has(db)) db++;
      if (db >= REDIS_DB_COUNT) {
        throw new DesireError(
          'redis-db-exhausted',
          `redis instance ${inst.name} on ${inst.server} needs ${inst.users.length} databases, more than the ${REDIS_DB_COUNT} Redis has`,
          `services/${inst.service.name}`,
          `use \`scope: environment\` for ${inst.service.name}, declare a second redis service for some apps, or release the DBs of removed environments with \`slipway up --destroy-data\``,
        );
      }
      taken.add(db);
      got.set(u, db);
    }
    for (const u of inst.users) {
      out.push({
        server: inst.server,
        spec: { service: inst.service.name, instance: inst.key, env: u.env.name, app: u.app.name, db: got.get(u)! },
      });
    }
  }
  return out;
}

/** Env vars an app gets from the services it uses (first postgres/redis gets the standard names). */
export function injectedVars(p: Placement, instances: readonly ServiceInstance[], redis: readonly { user: RedisUserSpec }[]): Record<string, EnvValue> {
  const out: Record<string, EnvValue> = {};
  let pgSeen = false;
  let redisSeen = false;
  for (const name of p.app.uses) {
    const inst = instanceFor(instances, name, p);
    if (!inst) continue;
    const s = inst.service;
    const prefix = envPrefix(s.name);
    if (s.kind === 'postgres') {
      const db = databaseName(p.app.name, p.env.name);
      const url: EnvValue = { kind: 'secret', name: dbUrlSecret(inst.name, db) };
      if (!pgSeen) {
        out.DATABASE_URL = url;
        out.PGHOST = plain(s.name);
        out.PGPORT = plain(String(s.port));
        out.PGDATABASE = plain(db);
        out.PGUSER = plain(db);
        pgSeen = true;
      } else {
        out[`${prefix}_URL`] = url;
      }
    } else if (s.kind === 'redis') {
      const u = redis.find((r) => r.user.service === s.name && r.user.instance === inst.key && r.user.env === p.env.name && r.user.app === p.app.name);
      if (!u) continue;
      // redis://USER:PASSWORD@host:port/db, written by up when it applies the instance's ACL.
      const url: EnvValue = { kind: 'secret', name: u.user.urlSecret };
      if (!redisSeen) {
        out.REDIS_URL = url;
        // A prefix given only in the fleet file reaches the app as REDIS_PREFIX.
        const fromFleet = p.appEnv.redis?.keyPrefixes[0];
        if (fromFleet !== undefined && !('REDIS_PREFIX' in p.appEnv.env_vars)) out.REDIS_PREFIX = plain(fromFleet);
        redisSeen = true;
      } else {
        out[`${prefix}_URL`] = url;
      }
    }
  }
  return out;
}

const plain = (value: string): EnvValue => ({ kind: 'plain', value });
const envPrefix = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
const byKey = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}
