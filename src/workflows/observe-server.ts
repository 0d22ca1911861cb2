// observe: rebuild one server's ObservedServer from its Docker engine, using Slipway's labels
// only. The mappers are pure (engine types → observed types); `observeServer` is the one
// function here that calls an engine, and only through the DockerEngine port.
import type { ContainerInfo, DockerEngine, NetworkSummary, VolumeSummary } from '../engine/docker-engine.ts';
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
} from '../plan/diff/observed.ts';

const INSPECT_CONCURRENCY = 8;

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

/** ContainerInfo (from inspect) → ObservedContainer; undefined when the labels identify no Slipway container. */
export function observeContainer(info: ContainerInfo): ObservedContainer | undefined {
  const role = roleFromLabels(info.labels);
  const key = observedKey(info.labels, info.name);
  if (!role || !key) return undefined;
  const c: ObservedContainer = {
    id: info.id,
    name: info.name,
    key,
    role,
    image: info.image,
    labels: { ...info.labels },
    state: observedState(info.state),
    health: info.health,
    createdAt: info.createdAt,
  };
  const hash = info.labels[LABELS.specHash];
  const release = info.labels[LABELS.release];
  if (hash !== undefined) c.specHash = hash;
  if (release !== undefined) c.release = release;
  return c;
}

export function observeNamed(x: NetworkSummary | VolumeSummary): ObservedNamed {
  return { name: x.name, labels: { ...x.labels } };
}

/**
 * Read everything labelled `slipway.project=<project>` from one engine: networks, volumes and
 * containers (running or not, each inspected for health). Objects of other projects, or without
 * the label, are never returned.
 */
export async function observeServer(engine: DockerEngine, project: string, server: string): Promise<ObservedServer> {
  const filter = { [LABELS.project]: project };
  const [networks, volumes, summaries] = await Promise.all([
    engine.listNetworks(filter),
    engine.listVolumes(filter),
    engine.listContainers(filter, { all: true }),
  ]);
  const containers = await mapLimit(summaries, INSPECT_CONCURRENCY, async (s) => {
    try {
      return observeContainer(await engine.inspectContainer(s.id));
    } catch (err) {
      // Removed between list and inspect: gone, so not observed.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  return {
    server,
    networks: networks.filter((n) => n.labels[LABELS.project] === project).map(observeNamed),
    volumes: volumes.filter((v) => v.labels[LABELS.project] === project).map(observeNamed),
    containers: containers
      .filter((c): c is ObservedContainer => c !== undefined && c.labels[LABELS.project] === project)
      .sort((a, b) => a.key.localeCompare(b.key) || a.name.localeCompare(b.name)),
  };
}
