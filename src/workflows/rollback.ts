// `rollback APP ENV [RELEASE]`: the same zero-downtime rollout, to a release that was live before
// (the previous one by default). Its containers are kept stopped by deploy, so this is instant;
// if they were pruned, they are recreated from the release's image, still on the server.
import type { App, Environment } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { operator } from './audit.ts';
import { checkpointer, urlOf, type DeployResult } from './deploy.ts';
import { withEnvLock } from './env-lock-run.ts';
import { reconcile } from './reconcile.ts';
import { readHistory } from './releases.ts';
import { rollout } from './rollout.ts';
import { shipFiles } from './files-ship.ts';
import type { ServerRun } from './server-run.ts';

export interface RollbackOptions {
  release?: string;
  drainMs: number;
  keep: number;
  lockWaitS: number;
  killAt?: string;
}

export async function rollback(run: ServerRun, app: App, env: Environment, opts: RollbackOptions): Promise<DeployResult> {
  const t0 = run.now();
  const command = `rollback ${app.name} ${env.name}${opts.release ? ` ${opts.release}` : ''}`;
  const lockOpts = { command, action: 'rollback', app: app.name, lockWaitS: opts.lockWaitS, prefetch: [`releases/${env.name}/${app.name}.json`] };
  return withEnvLock(run, env.name, lockOpts, async (locked) => {
    const rec = await reconcile(run, app.name, env.name);
    const recovered = [...rec.removed, ...rec.stopped, ...rec.started];
    const history = await readHistory(run.store, app.name, env.name);
    const candidates = history.releases.filter(
      (r) => r.status === 'previous' || r.status === 'rolled-back' || (r.status === 'live' && r.release !== history.current),
    );
    const target = opts.release ? history.releases.find((r) => r.release === opts.release) : candidates[0];
    if (!target) {
      throw new UserError(
        opts.release
          ? `release ${opts.release} of ${app.name} in ${env.name} is unknown`
          : `${app.name} in ${env.name} has no previous release to roll back to`,
        `see the releases with: slipway releases ${app.name} ${env.name}`,
      );
    }
    if (target.release === history.current)
      throw new UserError(`release ${target.release} is already live for ${app.name} in ${env.name}`, 'pick another release from: slipway releases');
    if (target.status === 'failed')
      throw new UserError(`release ${target.release} failed when it was deployed; refusing to roll back to it`, 'pick a release that was live before');
    if (!(await run.conn.engine.imageInspect(target.image))) {
      throw new UserError(
        `the image of release ${target.release} (${target.image}) is no longer on ${run.conn.server.name}`,
        'deploy that ref again instead: slipway deploy APP ENV --ref REF',
      );
    }
    locked.note({ release: target.release, detail: `from ${history.current}` });
    const record = {
      ...target,
      status: 'live' as const,
      deployedAt: new Date(run.now()).toISOString(),
      deployedBy: run.store.actor ?? operator(),
      note: `rollback from ${history.current ?? 'nothing'}`,
    };
    // The release's own files (from its commit), so its kept containers match and new ones bind them.
    await shipFiles(run, app, env.name, target.gitSha ? { sha: target.gitSha } : {});
    // Tasks (migrations) ran when the release was deployed; a rollback does not run them again.
    await rollout(run, app, env.name, record, { drainMs: opts.drainMs, keep: opts.keep, checkpoint: checkpointer(opts.killAt), runTasks: false });
    const urls = run.state.routes.filter((r) => r.app === app.name && r.env === env.name).map((r) => urlOf(run, r.host));
    return {
      app: app.name,
      env: env.name,
      server: run.conn.server.name,
      release: target.release,
      image: target.image,
      gitSha: target.gitSha,
      ref: target.ref,
      urls,
      durationMs: run.now() - t0,
      recovered,
    };
  });
}
