// One-off containers of a release, run before any traffic moves; the first failure stops the
// deploy and the old release keeps serving:
// - release commands (migrate, collectstatic…) of the app, in the new image on the environment's
//   private networks (a compose app's: the image and networks of its web process, else of its first
//   built one);
// - tasks: compose services others wait for with `service_completed_successfully` (migrations,
//   init jobs), each run to completion as its own process spec, once per deploy (rollout.ts).
import type { App } from '../config/fleet.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { UserError } from '../diag/errors.ts';
import { redactSecrets } from '../util/secret.ts';
import type { ServerRun } from './server-run.ts';
import { resolveSpecEnv, type Resolved } from './spec-env.ts';
import { desiredOf, imageFor } from './app-containers.ts';
import { isPlaceholderImage } from '../plan/diff/containers.ts';
import type { CreateContainerSpec } from '../engine/docker-engine.ts';
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
  // A compose app has no image of its own: its commands run as its web (or first built) process.
  if (app.source.kind === 'compose') {
    const specs = desiredOf(run, app.name, env).filter((s) => !s.task && s.replica === 0);
    const own = (s: ContainerSpec) => isPlaceholderImage(s.image);
    const chosen = specs.find((s) => s.port !== undefined && own(s)) ?? specs.find(own) ?? base;
    if (chosen !== base) {
      base = chosen;
      resolved = await resolveSpecEnv(run, chosen, release);
    }
    image = imageFor(base, run.fleet.project, release);
  }
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
        { timeoutMs: TASK_TIMEOUT_MS },
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

/** How long a release command or a task may run. */
const TASK_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs a task process (`create`: its container as this release would create it) to completion:
 * exit 0, or a UserError with its last output (secrets redacted). Never restarted; its container
 * (role `release-task`) is removed once it exits.
 */
export async function runTask(run: ServerRun, spec: ContainerSpec, release: string, create: CreateContainerSpec, resolved: Resolved): Promise<void> {
  const { engine } = run.conn;
  // A container of an interrupted run by the same name would make the create fail.
  await engine.removeContainer(create.name, { force: true }).catch(() => undefined);
  const res = await engine.runOnce({ ...create, labels: { ...create.labels, [LABELS.role]: 'release-task' }, restart: 'no' }, { timeoutMs: TASK_TIMEOUT_MS });
  if (res.exitCode === 0 && !res.timedOut) return;
  const tail = redactSecrets(res.logs.trimEnd().split('\n').slice(-20).join('\n'), resolved.secrets);
  throw new UserError(
    `task "${spec.process}" ${res.timedOut ? `ran past ${TASK_TIMEOUT_MS / 60_000} min` : `exited with code ${res.exitCode}`}; release ${release} was not deployed, and nothing that waits for it was started${tail ? `\n--- last output of ${spec.process} ---\n${tail}` : ''}`,
    'the previous release keeps serving; fix the task or its code and deploy again',
  );
}
