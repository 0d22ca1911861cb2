// Brings one app/environment back to a consistent state after an interrupted deploy or rollback
// (a killed CLI, a lost connection): the live release (from the server's history, with the
// containers it carries from earlier releases) runs and is on the edge network; running containers of other releases are stopped gracefully (they finish
// their in-flight requests) and leave the edge network; containers of releases that never went
// live are removed, as are leftover release tasks. Safe to run any time; deploy and rollback run
// it first. `planReconcile` decides from the history and one container listing (pure), so a
// deploy can tell "nothing to recover" without a call of its own.
import type { ContainerSummary } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { desiredOf, existingOf, releaseOf } from './app-containers.ts';
import { releaseAlias } from './container-create.ts';
import { edgeNetworks, leaveEdge } from './rollout.ts';
import { slotOf } from './rollout-plan.ts';
import { readHistory, type ReleaseHistory } from './releases.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';

export interface ReconcileResult {
  removed: string[];
  stopped: string[];
  started: string[];
}

/** What reconcile will do, in this order. */
export interface ReconcilePlan {
  live: string | null;
  /** Leftover release-task containers. */
  tasks: ContainerSummary[];
  /** Other releases' running singletons: stopped before the live release's copy starts. */
  stopFirst: ContainerSummary[];
  /** The live release's containers that are not running. */
  start: ContainerSummary[];
  /** The live release's web containers missing from an edge network they belong on. */
  connect: { container: ContainerSummary; network: string; aliases: string[] }[];
  /** Other running containers to stop gracefully (then they leave the edge network). */
  stop: ContainerSummary[];
  /** Containers of releases that never went live. */
  remove: ContainerSummary[];
  /** Stopped or removed containers of known releases (reported as stopped). */
  known: Set<string>;
}

/**
 * The recovery for one app/env: `containers` and `tasks` are its app and release-task containers
 * (all states) as listed, `edges` the server's edge networks.
 */
export function planReconcile(
  history: ReleaseHistory,
  containers: readonly ContainerSummary[],
  tasks: readonly ContainerSummary[],
  specs: readonly ContainerSpec[],
  edges: ReadonlySet<string>,
): ReconcilePlan {
  const known = new Set(history.releases.filter((r) => r.status !== 'failed').map((r) => r.release));
  const live = history.current;
  const specOf = (c: ContainerSummary) => specFor(specs, c.labels);
  // The live release's containers, and those it carries from earlier releases (unchanged processes).
  const carried = history.releases.find((r) => r.release === live)?.carried ?? {};
  const isLive = (c: ContainerSummary) => releaseOf(c) === live || carried[slotOf(c.labels)] === releaseOf(c);
  const strays = containers.filter((c) => !isLive(c) && c.state === 'running');
  // A singleton or a stateful process never runs twice: another release's copy (e.g. the
  // successor a killed rollout had started) stops before the live one starts again.
  const stopFirst = strays.filter((c) => specOf(c)?.singleton || specOf(c)?.stateful !== undefined);
  const ofLive = containers.filter(isLive);
  // The live release's web containers belong on the edge network (a killed switch may not have
  // put them there yet).
  const connect = ofLive.flatMap((c) =>
    (specOf(c)?.networks ?? [])
      .filter((n) => edges.has(n.network) && !c.networks.includes(n.network))
      .map((n) => ({ container: c, network: n.network, aliases: [...n.aliases, ...n.aliases.map((a) => releaseAlias(a, live!))] })),
  );
  // Others stop gracefully (in-flight requests finish; the proxy retries refused dials on the
  // live ones), then releases that never went live are removed. If the live release is gone
  // altogether, a known earlier release that still runs is the only thing serving: it stays up
  // (the next deploy replaces it).
  const liveExists = live !== null && ofLive.length > 0;
  return {
    live,
    tasks: [...tasks],
    stopFirst,
    start: ofLive.filter((c) => c.state !== 'running'),
    connect,
    stop: strays.filter((c) => !stopFirst.includes(c) && (liveExists || !known.has(releaseOf(c)))),
    remove: containers.filter((c) => !known.has(releaseOf(c))),
    known,
  };
}

/** True when the app/env is consistent: reconcile would do nothing. */
export function isSettled(p: ReconcilePlan): boolean {
  return p.tasks.length + p.stopFirst.length + p.start.length + p.connect.length + p.stop.length + p.remove.length === 0;
}

export async function reconcile(
  run: ServerRun,
  app: string,
  env: string,
  listed?: { containers: ContainerSummary[]; tasks: ContainerSummary[] },
): Promise<ReconcileResult> {
  const [history, containers, tasks] = await Promise.all([
    readHistory(run.store, app, env),
    listed?.containers ?? existingOf(run, app, env),
    listed?.tasks ?? existingOf(run, app, env, 'release-task'),
  ]);
  const specs = desiredOf(run, app, env);
  return applyReconcile(run, specs, planReconcile(history, containers, tasks, specs, edgeNetworks(run)));
}

async function applyReconcile(run: ServerRun, specs: readonly ContainerSpec[], p: ReconcilePlan): Promise<ReconcileResult> {
  const { engine } = run.conn;
  const out: ReconcileResult = { removed: [], stopped: [], started: [] };
  for (const t of p.tasks) {
    await engine.removeContainer(t.id, { force: true }).catch(ignoreMissing);
    out.removed.push(t.name);
  }
  const stop = async (c: ContainerSummary) => {
    await engine.stopContainer(c.id, specFor(specs, c.labels)?.stopTimeoutS ?? 10).catch(ignoreMissing);
    await leaveEdge(run, c.id);
    if (p.known.has(releaseOf(c))) out.stopped.push(c.name);
  };
  for (const c of p.stopFirst) await stop(c);
  for (const c of p.start) {
    await engine.startContainer(c.id);
    out.started.push(c.name);
  }
  for (const { container, network, aliases } of p.connect) await engine.connectNetwork(network, container.id, aliases);
  await Promise.all(p.stop.map(stop));
  for (const c of p.remove) {
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
    out.removed.push(c.name);
  }
  return out;
}

function specFor(specs: readonly ContainerSpec[], labels: Record<string, string>): ContainerSpec | undefined {
  return specs.find((s) => s.process === labels[LABELS.process] && String(s.replica) === (labels[LABELS.replica] ?? '0'));
}

function ignoreMissing(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
