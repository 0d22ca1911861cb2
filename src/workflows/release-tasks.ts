// Release commands (migrate, collectstatic…): one-off containers of the new image on the
// environment's private network, run before any traffic moves. The first failure stops the
// deploy; the old release keeps serving.
import type { App } from '../config/fleet.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { UserError } from '../diag/errors.ts';
import { redactSecrets } from '../util/secret.ts';
import type { ServerRun } from './server-run.ts';
import type { Resolved } from './rollout.ts';
import { LABELS } from '../model/labels.ts';
import { engineBinds } from './container-create.ts';

export async function runReleaseTasks(
  run: ServerRun,
  app: App,
  env: string,
  release: string,
  image: string,
  base: ContainerSpec,
  resolved: Resolved,
): Promise<void> {
  for (const [i, argv] of app.release.entries()) {
    const label = argv.join(' ');
    await run.report.step(`release command ${i + 1}/${app.release.length}: ${label}`, async () => {
      const res = await run.conn.engine.runOnce(
        {
          name: `${run.fleet.project}-${app.name}-${env}-release-${release}-${i}`,
          image,
          cmd: argv,
          env: { ...resolved.env, SLIPWAY_RELEASE: release },
          labels: { [LABELS.project]: run.fleet.project, [LABELS.app]: app.name, [LABELS.env]: env, [LABELS.role]: 'release-task', [LABELS.release]: release },
          networks: base.networks.filter((n) => !n.network.endsWith('-edge')).map((n) => ({ name: n.network, aliases: [] })),
          mounts: Object.entries(base.mounts).map(([volume, target]) => ({ volume, target })),
          ...(base.binds?.length ? { binds: engineBinds(base) } : {}),
          memory: base.memory,
          cpus: base.cpus,
          restart: 'no',
          stopTimeoutS: 10,
        },
        { timeoutMs: 15 * 60_000 },
      );
      if (res.exitCode !== 0 || res.timedOut) {
        const tail = redactSecrets(res.logs.trimEnd().split('\n').slice(-20).join('\n'), resolved.secrets);
        throw new UserError(
          `release command "${label}" ${res.timedOut ? 'timed out' : `exited with code ${res.exitCode}`}; release ${release} was not deployed${tail ? `\n--- last output ---\n${tail}` : ''}`,
          'the previous release keeps serving; fix the command or the code and deploy again',
        );
      }
    });
  }
}
