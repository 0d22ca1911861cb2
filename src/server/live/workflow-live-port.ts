// The real LivePort: each call reads the fleet file afresh, opens a fleet session on the one server
// it needs (as the CLI and server/workflow-ops.ts do) and calls the CLI's own workflow: deploy,
// rollback, backup verify, the logs follow of `slipway logs -f`, the release history of
// `slipway releases`. A job's progress is the workflow's reporter output, written to the job.
// Following logs over SSH: destroying a docker log stream may not end it at once, so a follow
// that has not ended a moment after the client left is abandoned and its session closed anyway.
import type { App, Environment, Fleet } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import type { Connector } from '../../engine/connection.ts';
import type { Output } from '../../util/output.ts';
import { deploy } from '../../workflows/deploy.ts';
import { runFor, type SessionIO, withSession } from '../../workflows/fleet-session.ts';
import { followLogs, runningContainers } from '../../workflows/logs.ts';
import { repoDir } from '../../workflows/release-image.ts';
import { listReleases } from '../../workflows/releases-list.ts';
import { rollback } from '../../workflows/rollback.ts';
import { actorName, CLI_SWITCH_DEFAULTS, type SwitchDefaults } from '../workflow-ops.ts';
import type { FleetSession } from '../../workflows/fleet-session.ts';
import { type GitLog, gitLog } from './git-range.ts';
import type { LivePort } from './live-port.ts';
import { releaseViews } from './release-changes.ts';

export interface WorkflowLivePortDeps {
  loadFleet: () => Promise<Fleet>;
  now: () => number;
  connector?: Connector;
  env: Record<string, string | undefined>;
  cwd: string;
  /** An age identity file (`serve --identity`). */
  identity?: string;
  switching?: Partial<SwitchDefaults>;
  git?: GitLog;
  /** Pause before following the new containers once the followed ones stopped (default 1 s). */
  refollowMs?: number;
  /** Pause between looks for running containers while the app has none (default 5 s). */
  idleMs?: number;
  /** How long a follow may take to end after its client left before its session is closed anyway (default 2 s). */
  abandonMs?: number;
}

/** What is open right now (for tests that check nothing leaks). */
export interface LivePortStats {
  /** Log follows whose fleet session is still open. */
  logSessions: number;
}

export function createWorkflowLivePort(deps: WorkflowLivePortDeps): LivePort & { stats(): LivePortStats } {
  const switching: SwitchDefaults = { ...CLI_SWITCH_DEFAULTS, ...deps.switching };
  const git = deps.git ?? gitLog;
  let logSessions = 0;
  const io = (out: Output | null): SessionIO => ({
    stderr: out ?? { write: () => undefined },
    now: deps.now,
    env: deps.env,
    cwd: deps.cwd,
    ...(deps.connector ? { connector: deps.connector } : {}),
  });
  const opts = (json: boolean) => ({ json, ...(deps.identity ? { identity: deps.identity } : {}) });
  /** The workflows' own audit entries and release records name the API's user, as the synchronous routes' (workflow-ops.ts). */
  const as = (s: FleetSession, by: string): FleetSession => {
    for (const run of s.runs.values()) run.store.actor = actorName({ by });
    return s;
  };

  return {
    async deploy(req, out) {
      const fleet = await deps.loadFleet();
      const { app, env, server } = appEnv(fleet, req.app, req.env);
      return withSession(io(out), fleet, [server], opts(false), (s) =>
        deploy(runFor(as(s, req.by), server), app, env, { ...(req.ref ? { ref: req.ref } : {}), ...(req.image ? { image: req.image } : {}), ...switching }),
      );
    },

    async rollback(req, out) {
      const fleet = await deps.loadFleet();
      const { app, env, server } = appEnv(fleet, req.app, req.env);
      return withSession(io(out), fleet, [server], opts(false), (s) =>
        rollback(runFor(as(s, req.by), server), app, env, { ...(req.release ? { release: req.release } : {}), ...switching }),
      );
    },

    async backupVerify(req, out, signal) {
      const fleet = await deps.loadFleet();
      const env = envOf(fleet, req.env);
      // Loaded when first used, as the CLI does: the backup modules are large.
      const { verifyBackup } = await import('../../workflows/backup/verify.ts');
      return withSession(io(out), fleet, [env.server], opts(false), (s) =>
        verifyBackup(as(s, req.by), {
          env: env.name,
          ...(req.backup ? { id: req.backup } : {}),
          identity: { env: deps.env, cwd: deps.cwd, ...(deps.identity ? { identityFile: deps.identity } : {}) },
          signal,
        }),
      );
    },

    async followLogs(req, h, signal) {
      const fleet = await deps.loadFleet();
      const { app, server } = appEnv(fleet, req.app, req.env);
      if (req.process !== undefined && !app.perEnv[req.env]!.processes.some((p) => p.name === req.process))
        throw new UserError(
          `${app.name} has no process ${req.process} in ${req.env}`,
          `its processes: ${app.perEnv[req.env]!.processes.map((p) => p.name).join(', ')}`,
        );
      const target = { app: app.name, env: req.env, tail: req.tail, ...(req.process !== undefined ? { process: req.process } : {}) };
      logSessions++;
      try {
        await withSession(io(null), fleet, [server], opts(true), async (s) => {
          const run = runFor(s, server);
          await runningContainers(run, target);
          h.onReady();
          const gone = abortedThen(signal, deps.abandonMs ?? 2000);
          while (!signal.aborted) {
            await Promise.race([
              followLogs(run, { ...target, signal, onLine: (l) => h.onLine({ process: l.process, container: l.container, text: l.line }) }),
              gone,
            ]);
            if (signal.aborted) break;
            // The containers followed stopped (a new release, a restart): follow those running now.
            h.onInfo?.('the containers stopped; following the running ones');
            await Promise.race([pause(deps.refollowMs ?? 1000), gone]);
            while (!signal.aborted) {
              const running = await runningContainers(run, target).then(
                () => true,
                (e: unknown) => {
                  if (e instanceof UserError) return false;
                  throw e;
                },
              );
              if (running) break;
              await Promise.race([pause(deps.idleMs ?? 5000), gone]);
            }
          }
        });
      } finally {
        logSessions--;
      }
    },

    async releases(req) {
      const fleet = await deps.loadFleet();
      const { app, server } = appEnv(fleet, req.app, req.env);
      const history = await withSession(io(null), fleet, [server], opts(true), (s) => listReleases(runFor(s, server), { app: app.name, env: req.env }));
      return releaseViews(history, app.source.kind === 'git' ? repoDir(fleet, app) : undefined, git);
    },

    stats: () => ({ logSessions }),
  };
}

/** Resolves `ms` after `signal` aborted (never before). */
function abortedThen(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const go = () => void setTimeout(resolve, ms).unref?.();
    if (signal.aborted) go();
    else signal.addEventListener('abort', go, { once: true });
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => void setTimeout(resolve, ms).unref?.());
}

function envOf(fleet: Fleet, name: string): Environment {
  const env = fleet.environments.find((e) => e.name === name);
  if (!env) throw new UserError(`unknown environment "${name}"`, `environments in the fleet: ${fleet.environments.map((e) => e.name).join(', ') || '(none)'}`);
  return env;
}

function appEnv(fleet: Fleet, appName: string, envName: string): { app: App; env: Environment; server: string } {
  const env = envOf(fleet, envName);
  const app = fleet.apps.find((a) => a.name === appName);
  if (!app) throw new UserError(`unknown app "${appName}"`, `apps in the fleet: ${fleet.apps.map((a) => a.name).join(', ') || '(none)'}`);
  const placed = app.perEnv[env.name];
  if (!placed) throw new UserError(`app ${app.name} does not run in ${env.name}`, `it runs in: ${app.environments.join(', ')}`);
  return { app, env, server: placed.server };
}
