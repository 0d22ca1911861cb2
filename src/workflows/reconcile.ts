// Brings one app/environment back to a consistent state after an interrupted deploy or rollback
// (a killed CLI, a lost connection): the live release (from the server's history) runs and the
// proxy points at it; containers of releases that never went live are removed; leftover release
// tasks are removed. Safe to run any time; deploy and rollback run it first.
import { isNotFound } from '../engine/engine-errors.ts';
import { desiredOf, existingOf, releaseOf } from './app-containers.ts';
import { proxyInputs, reloadProxy } from './proxy.ts';
import { readHistory } from './releases.ts';
import type { ServerRun } from './server-run.ts';

export interface ReconcileResult {
  removed: string[];
  stopped: string[];
  started: string[];
  proxyReloaded: boolean;
}

export async function reconcile(run: ServerRun, app: string, env: string): Promise<ReconcileResult> {
  const { engine } = run.conn;
  const out: ReconcileResult = { removed: [], stopped: [], started: [], proxyReloaded: false };
  const history = await readHistory(run.store, app, env);
  const known = new Set(history.releases.filter((r) => r.status !== 'failed').map((r) => r.release));
  const live = history.current;
  const containers = await existingOf(run, app, env);
  for (const t of await existingOf(run, app, env, 'release-task')) {
    await engine.removeContainer(t.id, { force: true }).catch(ignoreMissing);
    out.removed.push(t.name);
  }
  const strays = containers.filter((c) => releaseOf(c) !== live && c.state === 'running');
  const orphans = containers.filter((c) => !known.has(releaseOf(c)));
  // A singleton never runs twice: another release's copy (e.g. the successor a killed rollout
  // had started) stops before the live one starts again.
  const singletons = desiredOf(run, app, env).filter((s) => s.singleton);
  const stoppedFirst = new Set<string>();
  for (const c of strays) {
    const spec = singletons.find((s) => s.process === c.labels['slipway.process']);
    if (!spec) continue;
    await engine.stopContainer(c.id, spec.stopTimeoutS).catch(ignoreMissing);
    stoppedFirst.add(c.id);
    if (known.has(releaseOf(c))) out.stopped.push(c.name);
  }
  for (const c of containers.filter((c) => releaseOf(c) === live && c.state !== 'running')) {
    await engine.startContainer(c.id);
    out.started.push(c.name);
  }
  if (strays.length || orphans.length) {
    // Point the proxy back at the live release before anything it might use goes away.
    if (run.state.routes.some((r) => r.app === app && r.env === env)) {
      await reloadProxy(run, await proxyInputs(run));
      out.proxyReloaded = true;
    }
  }
  for (const c of strays.filter((c) => known.has(releaseOf(c)) && !stoppedFirst.has(c.id))) {
    await engine.stopContainer(c.id, 10).catch(ignoreMissing);
    out.stopped.push(c.name);
  }
  for (const c of orphans) {
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
    out.removed.push(c.name);
  }
  return out;
}

function ignoreMissing(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
