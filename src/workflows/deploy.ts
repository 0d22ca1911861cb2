// `deploy APP ENV`: policy → lock → image (built from git on the server, or an image) → recover
// from any interrupted run → release commands → zero-downtime rollout → audit. Every failure
// leaves the previous release serving and says why; the lock is always released. The checks
// (history, recovery, infrastructure) run alongside the image and, for an app without release
// commands, alongside its new containers' start: their verdict is in before traffic moves.
import type { App, Environment } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { assertExternals } from './externals.ts';
import { desiredOf } from './app-containers.ts';
import { operator } from './audit.ts';
import { withEnvLock } from './env-lock-run.ts';
import { reconcile } from './reconcile.ts';
import { startChecks, freeReleaseId } from './deploy-checks.ts';
import { chooseSource, dropReleaseImages, makeReleaseImages, shipImage, type BuiltRelease } from './release-image.ts';
import { runReleaseTasks } from './release-tasks.ts';
import { readHistory, withFailed, writeHistory, type ReleaseRecord } from './releases.ts';
import { resolveSpecEnv, rollout } from './rollout.ts';
import type { ServerRun } from './server-run.ts';
import { upServer } from './up.ts';
import { shipFiles } from './files-ship.ts';

export interface DeployOptions {
  ref?: string;
  image?: string;
  drainMs: number;
  keep: number;
  lockWaitS: number;
  /** Fault injection: a step name at which to SIGKILL ourselves (SLIPWAY_TEST_KILL_AT). */
  killAt?: string;
  /** Build (or find) the image on this server and stream it to the target (no registry). */
  buildOn?: ServerRun;
  /** Replace only these processes (`deploy APP ENV PROCESS…`); the others keep running as they are. */
  processes?: string[];
  /** A step of a move of this environment (move-guard.ts refuses other deploys while it is under way). */
  duringMove?: boolean;
}

export interface DeployResult {
  app: string;
  env: string;
  server: string;
  release: string;
  image: string;
  gitSha?: string;
  ref?: string;
  urls: string[];
  durationMs: number;
  recovered: string[];
}

export { releaseId } from './deploy-checks.ts';

export function checkpointer(killAt: string | undefined): (step: string) => void {
  return (step) => {
    if (killAt && killAt === step) process.kill(process.pid, 'SIGKILL');
  };
}

/** The careful path is needed after all (see DeployChecks.verdict); what the quick one started is undone. */
class Replan extends Error {}

export async function deploy(run: ServerRun, app: App, env: Environment, opts: DeployOptions): Promise<DeployResult> {
  const t0 = run.now();
  const checkpoint = checkpointer(opts.killAt);
  const source = await chooseSource(run.fleet, app, env, opts);
  const command = `deploy ${app.name} ${env.name}${opts.processes?.length ? ` ${opts.processes.join(' ')}` : ''}${opts.ref ? ` --ref ${opts.ref}` : ''}${opts.image ? ` --image ${opts.image}` : ''}`;
  const lockOpts = {
    command,
    action: 'deploy',
    app: app.name,
    lockWaitS: opts.lockWaitS,
    prefetch: [`releases/${env.name}/${app.name}.json`],
    // The "started" entry names the release.
    startedAt: 'note' as const,
    ...(opts.duringMove ? { duringMove: true } : {}),
  };
  const builder = opts.buildOn ?? run;
  // Read-only, so it need not wait for the lock: is the image to deploy on the server?
  const sourceImage = source.image ? builder.conn.engine.imageInspect(source.image) : undefined;
  sourceImage?.catch(() => undefined);
  return withEnvLock(run, env.name, lockOpts, async (locked) => {
    checkpoint('locked');
    const specs = desiredOf(run, app.name, env.name);
    if (specs.length === 0) throw new UserError(`${app.name} has no processes in ${env.name}`, 'add processes: to the app in slipway.yaml');
    await assertExternals(run, app.name, env.name);
    // The checks run alongside the image and the new containers' start; their verdict is awaited
    // before anything touches the serving release (the rollout's gate, or before release commands).
    const checks = startChecks(run, app.name, env.name);
    const image = async (release: string): Promise<BuiltRelease> => {
      const built = await run.report.step(
        source.image ? `image ${source.image}` : `build ${source.ref!.ref} (${source.ref!.sha.slice(0, 12)}) on ${builder.conn.server.name}`,
        () => makeReleaseImages(builder, app, env.name, release, source, sourceImage),
      );
      if (builder !== run) {
        const how = await run.report.step(`image to ${run.conn.server.name}`, () => shipImage(builder, run, built.image, built.imageId, built.image));
        run.report.info(
          how === 'present'
            ? `    ${run.conn.server.name} already has image ${built.imageId.slice(7, 19)}: nothing transferred`
            : `    streamed from ${builder.conn.server.name} (docker save | docker load)`,
        );
      }
      return built;
    };
    let release = await freeReleaseId(run, app.name, env.name, checks.listed);
    locked.note({ release });
    // Bind-mounted repository files, from the deployed commit (files-ship.ts), before anything is built.
    await shipFiles(run, app, env.name, source.ref ? { sha: source.ref.sha } : {});
    let built = await image(release);
    checkpoint('built');
    const record = (): ReleaseRecord => ({
      release,
      image: built.image,
      imageId: built.imageId,
      gitSha: built.gitSha,
      ref: built.ref ?? source.image,
      deployedAt: new Date(run.now()).toISOString(),
      deployedBy: run.store.actor ?? operator(),
      status: 'live',
    });
    const rolloutOpts = { drainMs: opts.drainMs, keep: opts.keep, checkpoint, ...(opts.processes?.length ? { processes: opts.processes } : {}) };
    const failed = async (e: unknown) =>
      writeHistory(
        run.store,
        withFailed(await readHistory(run.store, app.name, env.name), { ...record(), status: 'failed' }, (e as Error).message.split('\n')[0]!),
      );
    let recovered: string[] = [];
    let careful = app.release.length > 0;
    if (!careful) {
      // Quick path: the new release starts while the checks finish; if they say otherwise, what it
      // started is undone and the careful path below runs instead.
      checkpoint('released');
      const verdict = checks.verdict(release);
      verdict.catch(() => undefined);
      const gate = async () => {
        const why = await verdict;
        if (why) throw new Replan(why);
      };
      try {
        await rollout(run, app, env.name, record(), { ...rolloutOpts, before: (await checks.listed).containers, gate });
      } catch (e) {
        const why = e instanceof Replan ? e.message : await verdict;
        if (!why) {
          await failed(e);
          throw e;
        }
        run.report.info(`    ${why}: going the careful way`);
        careful = true;
      }
    }
    if (careful) {
      if (!(await checks.infraCurrent)) await run.report.step('infrastructure (networks, services, proxy)', () => upServer({ ...run, report: quiet(run) }));
      const rec = await reconcile(run, app.name, env.name, await checks.listed);
      recovered = [...rec.removed.map((n) => `removed ${n}`), ...rec.stopped.map((n) => `stopped ${n}`), ...rec.started.map((n) => `restarted ${n}`)];
      if (recovered.length) run.report.warn(`recovered from an interrupted run: ${recovered.join(', ')}`);
      const history = await checks.history;
      if (history.releases.some((r) => r.release === release)) {
        await dropReleaseImages(builder, run, app, env.name, release);
        release = await freeReleaseId(run, app.name, env.name, checks.listed, new Set(history.releases.map((r) => r.release)));
        locked.note({ release });
        built = await image(release);
      }
      try {
        if (app.release.length) {
          const base = specs[0]!;
          await runReleaseTasks(run, app, env.name, release, built.image, base, await resolveSpecEnv(run, base, release));
        }
        checkpoint('released');
        await rollout(run, app, env.name, record(), rolloutOpts);
      } catch (e) {
        await failed(e);
        throw e;
      }
    }
    const urls = run.state.routes.filter((r) => r.app === app.name && r.env === env.name).map((r) => urlOf(run, r.host));
    return {
      app: app.name,
      env: env.name,
      server: run.conn.server.name,
      release,
      image: built.image,
      gitSha: built.gitSha,
      ref: built.ref,
      urls,
      durationMs: run.now() - t0,
      recovered,
    };
  });
}

export function urlOf(run: ServerRun, host: string): string {
  const port = run.conn.server.httpPort;
  return `http://${host}${port === 80 ? '' : `:${port}`}/`;
}

function quiet(run: ServerRun) {
  return { ...run.report, info: () => undefined, step: <T>(_l: string, fn: () => Promise<T>) => fn() };
}
