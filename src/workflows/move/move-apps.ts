// The environment's apps on each side of a move: which release runs on the source, which of its
// processes serve HTTP (deployed to the target for the test hostnames) and which are workers and
// singletons (started on the target only at the cutover, once stopped on the source: a beat never
// runs on both servers), and stopping or starting a side's workers.
import type { App } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import { LABELS } from '../../model/labels.ts';
import { existingOf } from '../app-containers.ts';
import { deploy } from '../deploy.ts';
import { readHistory, type ReleaseRecord } from '../releases.ts';
import type { ServerRun } from '../server-run.ts';

export interface EnvApp {
  app: App;
  web: string[];
  workers: string[];
}

/** The apps of `env` on this run's server, with their processes split into web and workers. */
export function envApps(run: ServerRun, env: string): EnvApp[] {
  return run.fleet.apps
    .filter((a) => a.perEnv[env]?.server === run.conn.server.name)
    .map((app) => {
      const procs = app.perEnv[env]!.processes;
      // A process with a port serves requests (the test hostnames reach it); the rest consume queues or schedules.
      const isWeb = (p: (typeof procs)[number]) => p.port !== undefined && !p.singleton;
      return { app, web: procs.filter(isWeb).map((p) => p.name), workers: procs.filter((p) => !isWeb(p)).map((p) => p.name) };
    });
}

/** The live release of the app on the source (what the target will run). */
export async function liveRelease(run: ServerRun, app: string, env: string): Promise<ReleaseRecord> {
  const h = await readHistory(run.store, app, env);
  const rec = h.releases.find((r) => r.release === h.current && r.status === 'live') ?? h.releases.find((r) => r.status === 'live');
  if (!rec)
    throw new UserError(`${app} has no live release in ${env} on ${run.conn.server.name}: nothing to move`, `deploy it first: slipway deploy ${app} ${env}`);
  return rec;
}

/** Deploys these processes of the app on the target with the source's live image, shipped from the source (no registry). */
export async function deployOnTarget(src: ServerRun, dst: ServerRun, a: App, env: string, processes: string[], lockWaitS: number): Promise<string | undefined> {
  if (processes.length === 0) return undefined;
  const rel = await liveRelease(src, a.name, env);
  const e = dst.fleet.environments.find((x) => x.name === env)!;
  const r = await deploy(dst, a, e, { image: rel.image, buildOn: src, drainMs: 2000, keep: 3, lockWaitS, processes, duringMove: true });
  return r.release;
}

/** Running containers of these processes (any release) of the app in `env` on this run's server. */
async function containersOf(run: ServerRun, app: string, env: string, processes: string[], all: boolean) {
  const list = await existingOf(run, app, env);
  return list.filter((c) => processes.includes(c.labels[LABELS.process] ?? '') && (all || c.state === 'running'));
}

/** Stops the workers of the environment on this side; returns the containers stopped (to start them again on a rollback). */
export async function stopWorkers(run: ServerRun, apps: EnvApp[], env: string): Promise<string[]> {
  const running = (await Promise.all(apps.map((a) => containersOf(run, a.app.name, env, a.workers, false)))).flat();
  await Promise.all(running.map((c) => run.conn.engine.stopContainer(c.name, 30)));
  return running.map((c) => c.name);
}

/**
 * Pauses the running web containers of the environment on this side (`move.held_writes: wait`):
 * writes sent to them wait, accepted but unanswered, until they are thawed. Returns their names.
 */
export async function pauseWeb(run: ServerRun, apps: EnvApp[], env: string): Promise<string[]> {
  const all = (await Promise.all(apps.map((a) => containersOf(run, a.app.name, env, a.web, true)))).flat();
  // Those a killed run already paused are named again (so they are thawed at the switch).
  const up = all.filter((c) => c.state === 'running' || c.state === 'paused');
  await Promise.all(up.filter((c) => c.state === 'running').map((c) => run.conn.engine.pauseContainer(c.name)));
  return up.map((c) => c.name);
}

/** Thaws these paused containers: the writes waiting in them are served now. */
export async function unpauseWeb(run: ServerRun, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((n) => run.conn.engine.unpauseContainer(n).catch((e) => (isGone(e) ? undefined : Promise.reject(e)))));
}

/**
 * The writes waiting in these paused containers must never be served (the move stopped before its
 * switch, so this side's copy is not the one to write to): each container is killed while still
 * frozen, which resets the waiting connections (their clients get an error, no row is written
 * here), and started again.
 */
export async function refuseWaiting(run: ServerRun, names: readonly string[]): Promise<void> {
  await Promise.all(
    names.map(async (n) => {
      await run.conn.engine.stopContainer(n, 0).catch((e) => (isGone(e) ? undefined : Promise.reject(e)));
      await run.conn.engine.startContainer(n).catch((e) => (isGone(e) || (e as { statusCode?: number }).statusCode === 304 ? undefined : Promise.reject(e)));
    }),
  );
}

const isGone = (e: unknown): boolean => (e as { statusCode?: number }).statusCode === 404;

/** Removes every worker container (running or stopped, any release) of the environment on this side; returns their names. */
export async function removeWorkers(run: ServerRun, apps: EnvApp[], env: string): Promise<string[]> {
  const all = (await Promise.all(apps.map((a) => containersOf(run, a.app.name, env, a.workers, true)))).flat();
  await Promise.all(all.map((c) => run.conn.engine.removeContainer(c.name, { force: true })));
  return all.map((c) => c.name);
}

/** Starts these (stopped) containers again. */
export async function startContainers(run: ServerRun, names: readonly string[]): Promise<void> {
  for (const n of names)
    await run.conn.engine.startContainer(n).catch((e) => ((e as { statusCode?: number }).statusCode === 304 ? undefined : Promise.reject(e)));
}

/** Names of the running worker containers of the environment on this side. */
export async function runningWorkers(run: ServerRun, apps: EnvApp[], env: string): Promise<string[]> {
  const out: string[] = [];
  for (const a of apps) for (const c of await containersOf(run, a.app.name, env, a.workers, false)) out.push(c.name);
  return out;
}
