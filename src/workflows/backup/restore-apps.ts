// The target environment's apps during a restore: every routed app goes into maintenance (the
// proxy answers 503; an app already in maintenance stays so afterwards), and every container that
// writes to the data is stopped: the environment's running app containers, and any other running
// container that mounts one of the volumes being restored. After the restore they start again,
// each waited for (running, and healthy when Docker checks it), then maintenance ends.
import { UserError } from '../../diag/errors.ts';
import { LABELS } from '../../model/labels.ts';
import { setMaintenance } from '../maintenance.ts';
import { listOwned } from '../observe.ts';
import { readMaintenance } from '../proxy.ts';
import type { ServerRun } from '../server-run.ts';

export interface PausedApps {
  /** Apps this restore put into maintenance (those already in it are not listed). */
  maintenance: string[];
  /** Containers this restore stopped (names), to start again. */
  stopped: string[];
}

export async function pauseApps(run: ServerRun, env: string, volumes: readonly string[]): Promise<PausedApps> {
  const paused: PausedApps = { maintenance: [], stopped: [] };
  const already = await readMaintenance(run);
  const routed = [...new Set(run.state.routes.filter((r) => r.env === env).map((r) => r.app))].sort();
  for (const app of routed) {
    if (already.has(`${app}/${env}`)) continue;
    await setMaintenance(run, { app, env, on: true });
    paused.maintenance.push(app);
  }
  const engine = run.conn.engine;
  const running = await listOwned(engine, run.fleet.project, {});
  const writers = new Set<string>();
  for (const c of running) {
    if (c.state !== 'running') continue;
    const role = c.labels[LABELS.role];
    if (c.labels[LABELS.env] === env && role === 'app') {
      writers.add(c.name);
      continue;
    }
    if (volumes.length && role !== 'backup') {
      const info = await engine.inspectContainer(c.id);
      if (info.mounts.some((m) => volumes.includes(m.volume) && !m.readOnly)) writers.add(c.name);
    }
  }
  for (const name of [...writers].sort()) {
    await engine.stopContainer(name, 10);
    paused.stopped.push(name);
  }
  return paused;
}

/** Starts the stopped containers again, waits for each, then ends the maintenance this restore began. */
export async function resumeApps(run: ServerRun, env: string, paused: PausedApps, opts: { keepMaintenance?: boolean } = {}): Promise<void> {
  const engine = run.conn.engine;
  for (const name of paused.stopped) await engine.startContainer(name);
  const deadline = run.now() + 120_000;
  for (const name of paused.stopped) {
    for (;;) {
      const info = await engine.inspectContainer(name);
      if (info.state === 'running' && (info.health === 'none' || info.health === 'healthy')) break;
      if (info.state === 'exited' || info.state === 'dead' || info.health === 'unhealthy' || run.now() > deadline)
        throw new UserError(
          `${name} did not come back after the restore (${info.state}${info.health !== 'none' ? `, ${info.health}` : ''})`,
          `look at its logs: slipway logs; ${paused.maintenance.length ? `the apps stay in maintenance until: slipway maintenance off APP ${env}` : ''}`,
        );
      await run.sleep(500);
    }
  }
  if (opts.keepMaintenance) return;
  for (const app of paused.maintenance) await setMaintenance(run, { app, env, on: false });
}
