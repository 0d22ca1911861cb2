// diff: the pure function from desired and observed state to an ordered Plan. Each server is
// compared on its own (servers only observed are diffed against nothing, so our objects there
// are deleted); per-resource rules live in diff-*.ts and the ordering in order.ts.
// Observed routes/databases/redisDbs left undefined are treated as empty.
import type { DesiredState, ServerState } from '../desire/desired.ts';
import { diffContainers } from './containers.ts';
import { diffDatabases, diffRedisDbs } from './data.ts';
import { diffRoutes } from './routes.ts';
import { diffNetworks, diffVolumes } from './storage.ts';
import type { ObservedServer, ObservedState } from './observed.ts';
import { orderActions, type ContainerOrderInfo } from './order.ts';
import type { Action, ActionKind, Plan } from './plan.ts';

export function diff(desired: DesiredState, observed: ObservedState): Plan {
  const project = desired.project;
  const actions: Action[] = [];
  const order: ContainerOrderInfo[] = [];
  const observedBy = new Map(observed.servers.map((s) => [s.server, s]));
  const names = [...desired.servers.map((s) => s.server)];
  for (const s of observed.servers) if (!names.includes(s.server)) names.push(s.server);

  for (const name of names) {
    const d = desired.servers.find((s) => s.server === name);
    const o = observedBy.get(name) ?? emptyServer(name);
    const r = diffServer(project, d, o);
    actions.push(...r.actions);
    order.push(...r.order);
  }
  const ordered = orderActions(
    actions,
    order,
    desired.servers.map((s) => s.server),
  );
  return { project, actions: ordered, summary: summarize(ordered) };
}

function diffServer(project: string, d: ServerState | undefined, o: ObservedServer): { actions: Action[]; order: ContainerOrderInfo[] } {
  const server = o.server;
  const actions: Action[] = [...diffNetworks(server, project, d?.networks ?? [], o.networks), ...diffVolumes(server, project, d?.volumes ?? [], o.volumes)];
  const containers = diffContainers(server, project, d?.containers ?? [], o.containers);
  actions.push(...containers.actions);
  actions.push(...diffDatabases(server, d?.databases ?? [], o.databases ?? []));
  actions.push(...diffRedisDbs(server, d?.redisDbs ?? [], o.redisDbs ?? []));
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
  return { actions, order: containers.order };
}

function emptyServer(server: string): ObservedServer {
  return { server, networks: [], volumes: [], containers: [] };
}

export function summarize(actions: readonly Action[]): Record<ActionKind, number> {
  const summary: Record<ActionKind, number> = { create: 0, update: 0, replace: 0, delete: 0, 'run-once': 0 };
  for (const a of actions) summary[a.kind] += 1;
  return summary;
}
