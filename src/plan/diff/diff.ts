// diff: the pure function from desired and observed state to an ordered Plan. Each server is
// compared on its own (servers only observed are diffed against nothing, so our objects there
// are deleted); per-resource rules live in containers.ts, storage.ts, data.ts and routes.ts, the
// ordering in order.ts. Observed routes/databases/redisDbs left undefined are treated as empty.
// Data (volumes, databases, Redis DBs) no longer desired is kept unless `destroyData`.
import type { DesiredState, ServerState } from '../desire/desired.ts';
import { diffContainers } from './containers.ts';
import { diffDatabases, diffRedisAcls, diffRedisDbs } from './data.ts';
import { diffRoutes } from './routes.ts';
import { diffNetworks, diffVolumes } from './storage.ts';
import type { ObservedServer, ObservedState } from './observed.ts';
import { orderActions, type ContainerOrderInfo } from './order.ts';
import type { Action, ActionKind, DiffOptions, Kept, PendingMove, Plan } from './plan.ts';
import { withoutMoved } from './moves.ts';

export function diff(desired: DesiredState, observed: ObservedState, opts: DiffOptions = {}): Plan {
  const project = desired.project;
  const actions: Action[] = [];
  const deploy: Action[] = [];
  const kept: Kept[] = [];
  const order: ContainerOrderInfo[] = [];
  const moves: PendingMove[] = [];
  const observedBy = new Map(observed.servers.map((s) => [s.server, s]));
  const names = [...desired.servers.map((s) => s.server)];
  for (const s of observed.servers) if (!names.includes(s.server)) names.push(s.server);

  for (const name of names) {
    const d = desired.servers.find((s) => s.server === name);
    const m = withoutMoved(desired, observedBy.get(name) ?? emptyServer(name));
    moves.push(...m.moves);
    const o = m.observed;
    const r = diffServer(project, d, o, opts.destroyData ?? false);
    actions.push(...r.actions);
    deploy.push(...r.deploy);
    kept.push(...r.kept);
    order.push(...r.order);
  }
  const servers = desired.servers.map((s) => s.server);
  const ordered = orderActions(actions, order, servers);
  return { project, actions: ordered, summary: summarize(ordered), deploy: orderActions(deploy, order, servers), kept, ...(moves.length ? { moves } : {}) };
}

interface ServerDiff {
  actions: Action[];
  deploy: Action[];
  kept: Kept[];
  order: ContainerOrderInfo[];
}

function diffServer(project: string, d: ServerState | undefined, o: ObservedServer, destroyData: boolean): ServerDiff {
  const server = o.server;
  const volumes = diffVolumes(server, project, d?.volumes ?? [], o.volumes, destroyData);
  const databases = diffDatabases(server, d?.databases ?? [], o.databases ?? [], destroyData);
  const redis = diffRedisDbs(server, d?.redisDbs ?? [], o.redisDbs ?? [], destroyData);
  const containers = diffContainers(server, project, d?.containers ?? [], o.containers);
  const actions: Action[] = [
    ...diffNetworks(server, project, d?.networks ?? [], o.networks),
    ...volumes.actions,
    ...containers.actions,
    ...databases.actions,
    ...redis.actions,
    ...diffRedisAcls(
      server,
      d?.redisUsers ?? [],
      o.redisAcls ?? [],
      (d?.containers ?? []).filter((c) => c.role === 'service' && c.command?.includes('--aclfile')).map((c) => c.key),
    ),
  ];
  const routes = diffRoutes(server, d?.routes ?? [], o.routes ?? []);
  actions.push(...routes);
  if (routes.length > 0) {
    actions.push({
      kind: 'update',
      type: 'proxy-config',
      server,
      id: d?.proxy ?? 'proxy',
      reason: `reload: ${routes.length} route change${routes.length === 1 ? '' : 's'}`,
    });
  }
  const kept = [...volumes.kept, ...databases.kept, ...redis.kept].sort((a, b) => cmp(a.type, b.type) || cmp(a.id, b.id));
  return { actions, deploy: containers.deploy, kept, order: containers.order };
}

function emptyServer(server: string): ObservedServer {
  return { server, networks: [], volumes: [], containers: [] };
}

export function summarize(actions: readonly Action[]): Record<ActionKind, number> {
  const summary: Record<ActionKind, number> = { create: 0, update: 0, replace: 0, delete: 0, 'run-once': 0 };
  for (const a of actions) summary[a.kind] += 1;
  return summary;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
