// The webhook's back half: one queued deploy of one environment. For each app of the environment
// that the pushed repository deploys (repo-match.ts), the push is fetched into the app's git
// repository (git-fetch.ts, with the app's deploy key), then deployed by the same workflow as
// `slipway deploy APP ENV --ref NAME` through the ops port: built on the server, under the CLI's
// environment lock. Fetches into one repository never run at once. Each app's outcome goes to
// the API audit log as `webhook <provider>`.
import { resolve } from 'node:path';
import type { Fleet } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import { repoDir } from '../../workflows/release-image.ts';
import type { ControlPlaneOps } from '../ops.ts';
import type { ControlPlaneSecret } from '../serve-part.ts';
import type { WebhookJob, WebhookJobResult } from './deliveries.ts';
import { fetchPush } from './git-fetch.ts';
import { appsForPush } from './repo-match.ts';

export interface WebhookDeployDeps {
  loadFleet: () => Promise<Fleet>;
  ops: Pick<ControlPlaneOps, 'deploy' | 'audit'>;
  secret: ControlPlaneSecret;
  /** The serve data directory: known_hosts and the deploy key's temporary file go there. */
  dataDir: string;
  now: () => number;
  /** The environment git runs with (PATH, HOME). */
  env?: Record<string, string | undefined>;
  log: (line: string) => void;
}

export type WebhookDeployer = (env: string, job: WebhookJob) => Promise<WebhookJobResult>;

export function webhookDeployer(deps: WebhookDeployDeps): WebhookDeployer {
  const fetching = new Map<string, Promise<unknown>>();
  /** Runs `work` after every earlier fetch into `repo` has ended. */
  const oneAtATime = <T>(repo: string, work: () => Promise<T>): Promise<T> => {
    const prev = fetching.get(repo) ?? Promise.resolve();
    const run = prev.then(work, work);
    const tail = run.catch(() => undefined);
    fetching.set(repo, tail);
    void tail.then(() => {
      if (fetching.get(repo) === tail) fetching.delete(repo);
    });
    return run;
  };

  return async (envName, job) => {
    const { push } = job;
    const by = `webhook ${push.provider}`;
    const fleet = await deps.loadFleet();
    const apps = appsForPush(fleet, envName, push);
    if (apps.length === 0)
      throw new UserError(`no app of ${envName} is fetched from ${push.repo.fullName} any more`, 'check control_plane.webhooks.repositories in the fleet file');
    const done: string[] = [];
    let release: string | undefined;
    for (const appName of apps) {
      const app = fleet.apps.find((a) => a.name === appName)!;
      const settings = fleet.controlPlane.webhooks.repositories[appName]!;
      const repo = resolve(repoDir(fleet, app));
      const deployKey = settings.deployKeySecret ? await deps.secret(settings.deployKeySecret) : undefined;
      if (settings.deployKeySecret && !deployKey)
        throw new UserError(
          `the deploy key secret ${settings.deployKeySecret} of ${appName} is not set`,
          `set it: slipway secret set ${settings.deployKeySecret} < deploy_key (the private key the git host knows)`,
        );
      deps.log(`webhook ${job.deliveryId}: fetching ${push.kind} ${push.name} of ${push.repo.fullName} into ${repo}`);
      const fetched = await oneAtATime(repo, () =>
        fetchPush({
          repo,
          url: settings.url,
          push,
          ...(deployKey ? { deployKey } : {}),
          knownHosts: resolve(deps.dataDir, 'known_hosts'),
          tmpDir: deps.dataDir,
          ...(deps.env ? { env: deps.env } : {}),
        }),
      );
      try {
        const r = await deps.ops.deploy(appName, envName, { by, ref: push.name });
        release = r.release;
        const sha = (r.gitSha ?? fetched.sha).slice(0, 12);
        done.push(`${appName} ${r.release} (${sha})`);
        await audit(deps, { by, env: envName, app: appName, outcome: 'ok', status: 200, detail: `release ${r.release} from ${push.kind} ${push.name} ${sha}` });
      } catch (e) {
        const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
        await audit(deps, { by, env: envName, app: appName, outcome: 'failed', status: 500, detail: `${push.kind} ${push.name}: ${first}` });
        throw e;
      }
    }
    return {
      ...(release !== undefined ? { release: apps.length === 1 ? release : done.join(', ') } : {}),
      detail: `${push.kind} ${push.name}: ${done.join(', ')}`,
    };
  };
}

async function audit(
  deps: WebhookDeployDeps,
  e: { by: string; env: string; app: string; outcome: 'ok' | 'failed'; status: number; detail: string },
): Promise<void> {
  try {
    await deps.ops.audit({ at: new Date(deps.now()).toISOString(), action: 'webhook.deploy', ...e });
  } catch (err) {
    deps.log(`audit: could not record webhook.deploy of ${e.app} in ${e.env}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
