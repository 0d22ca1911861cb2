// Brings one app/environment back to a consistent state after an interrupted deploy or rollback
// (a killed CLI, a lost connection): the live release (from the server's history) runs and is on
// the edge network; running containers of other releases are stopped gracefully (they finish
// their in-flight requests) and leave the edge network; containers of releases that never went
// live are removed, as are leftover release tasks. Safe to run any time; deploy and rollback run
// it first.
import { isNotFound } from '../engine/engine-errors.ts';
import { desiredOf, existingOf, releaseOf } from './app-containers.ts';
import { releaseAlias } from './container-create.ts';
import { edgeNetworks, leaveEdge } from './rollout.ts';
import { readHistory } from './releases.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';

export interface ReconcileResult {
  removed: string[];
  stopped: string[];
  started: string[];
}

export async function reconcile(run: ServerRun, app: string, env: string): Promise<ReconcileResult> {
  const { engine } = run.conn;
  const out: ReconcileResult = { removed: [], stopped: [], started: [] };
  const history = await readHistory(run.store, app, env);
  const known = new Set(history.releases.filter((r) => r.status !== 'failed').map((r) => r.release));
  const live = history.current;
  const containers = await existingOf(run, app, env);
  for (const t of await existingOf(run, app, env, 'release-task')) {
    await engine.removeContainer(t.id, { force: true }).catch(ignoreMissing);
    out.removed.push(t.name);
  }
  const specs = desiredOf(run, app, env);
  const specOf = (labels: Record<string, string>) =>
    specs.find((s) => s.process === labels[LABELS.process] && String(s.replica) === (labels[LABELS.replica] ?? '0'));
  const stop = async (c: (typeof containers)[number]) => {
    await engine.stopContainer(c.id, specOf(c.labels)?.stopTimeoutS ?? 10).catch(ignoreMissing);
    await leaveEdge(run, c.id);
    if (known.has(releaseOf(c))) out.stopped.push(c.name);
  };
  const strays = containers.filter((c) => releaseOf(c) !== live && c.state === 'running');
  // A singleton never runs twice: another release's copy (e.g. the successor a killed rollout
  // had started) stops before the live one starts again.
  const stoppedFirst = new Set<string>();
  for (const c of strays.filter((c) => specOf(c.labels)?.singleton)) {
    await stop(c);
    stoppedFirst.add(c.id);
  }
  const edges = edgeNetworks(run);
  for (const c of containers.filter((c) => releaseOf(c) === live && c.state !== 'running')) {
    await engine.startContainer(c.id);
    out.started.push(c.name);
  }
  // The live release's web containers belong on the edge network (a killed switch may not have
  // put them there yet).
  for (const c of containers.filter((c) => releaseOf(c) === live)) {
    const wanted = specOf(c.labels)?.networks.filter((n) => edges.has(n.network)) ?? [];
    if (wanted.length === 0) continue;
    const info = await engine.inspectContainer(c.id);
    for (const n of wanted.filter((n) => !info.networks.some((x) => x.name === n.network))) {
      await engine.connectNetwork(n.network, c.id, [...n.aliases, ...n.aliases.map((a) => releaseAlias(a, live!))]);
    }
  }
  // Others stop gracefully (in-flight requests finish; the proxy retries refused dials on the
  // live ones), then releases that never went live are removed.
  // If the live release is gone altogether, a known earlier release that still runs is the only
  // thing serving: it stays up (the next deploy replaces it).
  const liveExists = live !== null && containers.some((c) => releaseOf(c) === live);
  await Promise.all(strays.filter((c) => !stoppedFirst.has(c.id) && (liveExists || !known.has(releaseOf(c)))).map(stop));
  for (const c of containers.filter((c) => !known.has(releaseOf(c)))) {
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
    out.removed.push(c.name);
  }
  return out;
}

function ignoreMissing(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
