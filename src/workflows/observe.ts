// observe: the one path by which Slipway reads what runs. `plan`, `up`, `down`, `status`,
// `check --live`, deploy's infrastructure check and the app-container listings all come here.
// Everything is recognised by Slipway's labels (`slipway.project`) and keyed with
// `containerKeyFromLabels`; the mappers (engine types → observed types) are pure, and only the
// functions below them call an engine, through the DockerEngine port. `observeRun` adds what only
// the server's state knows: the routes the proxy was last given, the databases created and the
// Redis allocations.
import type { ContainerInfo, ContainerSummary, DockerEngine, LabelFilter, NetworkSummary, VolumeSummary } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { mapLimit } from '../util/map-limit.ts';
import {
  LABELS,
  containerKeyFromLabels,
  roleFromLabels,
  type ContainerState,
  type ObservedContainer,
  type ObservedNamed,
  type ObservedServer,
  type ObservedState,
} from '../plan/diff/observed.ts';
import { readDatabases } from './postgres-setup.ts';
import { readAppliedRoutes } from './proxy.ts';
import { loadRedisAcls } from './redis-acl.ts';
import { loadRedisAllocations } from './redis-allocations.ts';
import type { ServerRun } from './server-run.ts';

const INSPECT_CONCURRENCY = 8;

// ---- pure mappers ----

/**
 * The container key, as desire computes it: `containerKeyFromLabels`, except that an app or
 * release-task container without a `slipway.replica` label (made before that label existed) gets
 * its replica from the physical name `{p}-{a}-{e}-{w}-{replica}-{release}` when it has that shape.
 */
export function observedKey(labels: Record<string, string>, name: string): string | undefined {
  const role = roleFromLabels(labels);
  if ((role === 'app' || role === 'release-task') && labels[LABELS.replica] === undefined) {
    const { [LABELS.project]: p, [LABELS.app]: a, [LABELS.env]: e, [LABELS.process]: w, [LABELS.release]: rel } = labels;
    if (p && a && e && w) {
      const prefix = `${p}-${a}-${e}-${w}-`;
      const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
      const m = rel && rest.endsWith(`-${rel}`) ? /^(\d+)$/.exec(rest.slice(0, -rel.length - 1)) : /^(\d+)(?:-|$)/.exec(rest);
      if (m) return containerKeyFromLabels({ ...labels, [LABELS.replica]: m[1]! });
    }
  }
  return containerKeyFromLabels(labels);
}

function observedState(s: ContainerInfo['state']): ContainerState {
  return s === 'removing' ? 'exited' : s;
}

/** A container as listed or inspected → ObservedContainer; undefined when the labels identify no Slipway container. */
function observed(
  c: Pick<ContainerSummary, 'id' | 'name' | 'image' | 'labels' | 'state' | 'createdAt'>,
  networks: string[],
  health?: ObservedContainer['health'],
): ObservedContainer | undefined {
  const role = roleFromLabels(c.labels);
  const key = observedKey(c.labels, c.name);
  if (!role || !key) return undefined;
  const o: ObservedContainer = { id: c.id, name: c.name, key, role, image: c.image, labels: { ...c.labels }, state: observedState(c.state) };
  if (health !== undefined) o.health = health;
  o.createdAt = c.createdAt;
  const hash = c.labels[LABELS.specHash];
  const release = c.labels[LABELS.release];
  if (hash !== undefined) o.specHash = hash;
  if (release !== undefined) o.release = release;
  o.networks = [...networks].sort();
  return o;
}

/** ContainerInfo (from inspect) → ObservedContainer, with its health. */
export function observeContainer(info: ContainerInfo): ObservedContainer | undefined {
  return observed(
    info,
    info.networks.map((n) => n.name),
    info.health,
  );
}

/** ContainerSummary (from a list, no inspect) → ObservedContainer, without health. */
export function observeSummary(s: ContainerSummary): ObservedContainer | undefined {
  return observed(s, s.networks);
}

export function observeNamed(x: NetworkSummary | VolumeSummary): ObservedNamed {
  return { name: x.name, labels: { ...x.labels } };
}

// ---- engine reads ----

/** Containers of the project (running only unless `all`), narrowed by more labels; never another project's. */
export async function listOwned(engine: DockerEngine, project: string, labels: LabelFilter = {}, opts: { all?: boolean } = {}): Promise<ContainerSummary[]> {
  const list = await engine.listContainers({ [LABELS.project]: project, ...labels }, { all: opts.all ?? false });
  return list.filter((c) => c.labels[LABELS.project] === project);
}

/** Containers of the project with a key, from the list alone (one call): cheap checks such as deploy's. */
export async function observeListed(engine: DockerEngine, project: string, opts: { all?: boolean } = {}): Promise<ObservedContainer[]> {
  return (await listOwned(engine, project, {}, opts)).map(observeSummary).filter((c): c is ObservedContainer => c !== undefined);
}

/**
 * Containers of the project with a key, each inspected (health, networks), with the inspect
 * result for callers that need more (status: uptime, limits, addresses). A container removed
 * between list and inspect is gone, so not observed.
 */
export async function observeInspected(
  engine: DockerEngine,
  project: string,
  opts: { all?: boolean } = {},
): Promise<{ observed: ObservedContainer; info: ContainerInfo }[]> {
  const summaries = await listOwned(engine, project, {}, opts);
  const found = await mapLimit(summaries, INSPECT_CONCURRENCY, async (s) => {
    try {
      const info = await engine.inspectContainer(s.id);
      const o = observeContainer(info);
      return o && info.labels[LABELS.project] === project ? { observed: o, info } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  return found.filter((x): x is { observed: ObservedContainer; info: ContainerInfo } => x !== undefined);
}

/**
 * Read everything labelled `slipway.project=<project>` from one engine: networks, volumes and
 * containers (running or not, each inspected for health and networks). Objects of other
 * projects, or without the label, are never returned.
 */
export async function observeServer(engine: DockerEngine, project: string, server: string): Promise<ObservedServer> {
  const filter = { [LABELS.project]: project };
  const [networks, volumes, containers] = await Promise.all([
    engine.listNetworks(filter),
    engine.listVolumes(filter),
    observeInspected(engine, project, { all: true }),
  ]);
  return {
    server,
    networks: networks.filter((n) => n.labels[LABELS.project] === project).map(observeNamed),
    volumes: volumes.filter((v) => v.labels[LABELS.project] === project).map(observeNamed),
    containers: containers.map((c) => c.observed).sort((a, b) => a.key.localeCompare(b.key) || a.name.localeCompare(b.name)),
  };
}

/** Environments that have a network or a container (a lock included) of the project on this engine. */
export async function observedEnvs(engine: DockerEngine, project: string): Promise<string[]> {
  const [networks, containers] = await Promise.all([engine.listNetworks({ [LABELS.project]: project }), listOwned(engine, project, {}, { all: true })]);
  const envs = [...networks.filter((n) => n.labels[LABELS.project] === project), ...containers].map((x) => x.labels[LABELS.env]);
  return [...new Set(envs.filter((e): e is string => e !== undefined))].sort();
}

/** One server as the diff sees it: its engine's objects plus what the server's state records. */
export async function observeRun(run: ServerRun): Promise<ObservedServer> {
  const [server, routes, databases, redisDbs, redisAcls] = await Promise.all([
    observeServer(run.conn.engine, run.fleet.project, run.conn.server.name),
    readAppliedRoutes(run),
    readDatabases(run),
    loadRedisAllocations(run.store),
    loadRedisAcls(run),
  ]);
  // Slipway's own state volume is not part of the fleet.
  server.volumes = server.volumes.filter((v) => v.labels[LABELS.role] !== 'state');
  const out: ObservedServer = { ...server, routes, databases, redisDbs };
  if (redisAcls.length > 0) out.redisAcls = redisAcls;
  return out;
}

export async function observeRuns(project: string, runs: Iterable<ServerRun>): Promise<ObservedState> {
  return { project, servers: await Promise.all([...runs].map(observeRun)) };
}
