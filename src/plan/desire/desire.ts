// desire: the pure function from a Fleet to the resources each server should have (networks —
// each env's private and edge ones, and compose apps' own ones (networks.ts) —, volumes,
// containers, routes, databases, Redis DBs, memory budget, and the external networks and volumes
// used). Deterministic: servers in
// fleet order, every list inside a server sorted by name. Assumes a valid fleet (see
// `findInterpolationProblems`); throws DesireError only for what no valid fleet can rule out.
import type { Fleet } from '../../config/fleet.ts';
import type { ContainerSpec, DesiredState, ExternalSpec, NetworkSpec, RedisDbSpec, ServerState, VolumeSpec } from './desired.ts';
import { appNetworkSpecs, namedFromOtherApps } from './networks.ts';
import { appContainers } from './apps.ts';
import { edgeNetwork, privateNetwork } from '../../model/names.ts';
import { LABELS } from '../../model/labels.ts';
import { envsOnServer, placements, serviceInstances } from './placement.ts';
import { proxyContainer, routes } from './routes.ts';
import { tlsServing } from '../../model/tls.ts';
import { allocateRedis, databases, injectedVars, serviceContainer } from './services.ts';
import { redisUsers } from './redis-users.ts';

export interface DesireOptions {
  /** Redis DB numbers already in use (read back from the servers); kept when still valid. */
  redisAllocations?: RedisDbSpec[];
}

export function desire(fleet: Fleet, opts: DesireOptions = {}): DesiredState {
  const ps = placements(fleet);
  const instances = serviceInstances(fleet, ps);
  const redis = allocateRedis(instances, opts.redisAllocations ?? []);
  const dbs = databases(instances);
  const users = redisUsers(instances, redis);
  const p = fleet.project;
  const named = namedFromOtherApps(ps);

  const servers = fleet.servers.map((server): ServerState => {
    const envs = envsOnServer(fleet, server.name, ps, instances);
    const networks: NetworkSpec[] = [];
    for (const e of envs) {
      const labels = (purpose: 'private' | 'edge'): Record<string, string> => ({
        [LABELS.project]: p,
        [LABELS.env]: e.name,
        [LABELS.network]: purpose,
      });
      networks.push({ name: privateNetwork(p, e.name), purpose: 'private', env: e.name, labels: labels('private') });
      networks.push({ name: edgeNetwork(p, e.name), purpose: 'edge', env: e.name, labels: labels('edge') });
    }
    const containers: ContainerSpec[] = [];
    const volumes: VolumeSpec[] = [];
    const externals: ExternalSpec[] = [];
    const here = ps.filter((x) => x.server === server.name);
    for (const pl of here) {
      const out = appContainers(fleet, pl, injectedVars(pl, instances, users), named);
      containers.push(...out.containers);
      volumes.push(...out.volumes);
      const own = appNetworkSpecs(fleet, pl);
      networks.push(...own.networks);
      externals.push(...own.externals);
    }
    for (const inst of instances.filter((i) => i.server === server.name)) {
      const out = serviceContainer(fleet, inst);
      containers.push(out.container);
      volumes.push(...out.volumes);
    }
    const serverRoutes = here.flatMap(routes).sort((a, b) => cmp(a.host, b.host) || cmp(a.app, b.app));
    if (envs.length > 0) {
      const out = proxyContainer(
        fleet,
        server,
        envs.map((e) => e.name),
        serverRoutes.some((r) => tlsServing(r, server.proxy) !== 'plain'),
      );
      containers.push(out.container);
      volumes.push(...out.volumes);
    }
    containers.sort((a, b) => cmp(a.name, b.name) || cmp(a.key, b.key));
    const budgetLines = containers.map((c) => (c.memory === undefined ? { key: c.key } : { key: c.key, memory: c.memory }));
    const budget: ServerState['budget'] = {
      reservedMemory: containers.reduce((sum, c) => sum + (c.memory ?? 0), 0),
      lines: budgetLines,
    };
    if (server.memory !== undefined) budget.memory = server.memory;
    if (server.cpus !== undefined) budget.cpus = server.cpus;
    const state: ServerState = {
      server: server.name,
      proxy: server.proxy,
      networks: networks.sort((a, b) => cmp(a.name, b.name)),
      volumes: dedupeVolumes(volumes).sort((a, b) => cmp(a.name, b.name)),
      containers,
      routes: serverRoutes,
      databases: dbs
        .filter((d) => d.server === server.name)
        .map((d) => d.db)
        .sort((a, b) => cmp(a.instance, b.instance) || cmp(a.database, b.database)),
      redisDbs: redis
        .filter((r) => r.server === server.name)
        .map((r) => r.spec)
        .sort((a, b) => cmp(a.instance, b.instance) || a.db - b.db),
      budget,
    };
    const mine = users
      .filter((u) => u.server === server.name)
      .map((u) => u.user)
      .sort((a, b) => cmp(a.instance, b.instance) || cmp(a.user, b.user));
    if (mine.length > 0) state.redisUsers = mine;
    if (externals.length > 0) state.externals = externals.sort((a, b) => cmp(a.type, b.type) || cmp(a.name, b.name) || cmp(a.env, b.env) || cmp(a.app, b.app));
    return state;
  });
  return { project: p, servers };
}

/** The same volume declared twice by the same owner is one volume; different owners stay (check reports them). */
function dedupeVolumes(vs: VolumeSpec[]): VolumeSpec[] {
  const seen = new Set<string>();
  return vs.filter((v) => {
    const id = `${v.name}\u0000${JSON.stringify(Object.entries(v.labels).sort())}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
