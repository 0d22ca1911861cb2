// The real ControlPlaneOps: each operation reads the fleet file afresh, opens a fleet session on
// the servers it touches (openSession, as the CLI does), calls the same workflow as the CLI
// command (status, deploy, rollback, maintenance) with the CLI's defaults, and closes the session.
// Workflow UserErrors (a deploy policy's refusal, an unknown release, a held lock) pass through
// for the API to answer. The API's own audit log is a JSON-lines file in the serve data directory.
import type { App, Environment, Fleet } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import type { Connector } from '../engine/connection.ts';
import type { Output } from '../util/output.ts';
import { type DeployResult, deploy } from '../workflows/deploy.ts';
import { serversOfEnv } from '../workflows/env-servers.ts';
import { type FleetSession, runFor, type SessionIO, withSession } from '../workflows/fleet-session.ts';
import { type MaintenanceResult, setMaintenance } from '../workflows/maintenance.ts';
import { rollback } from '../workflows/rollback.ts';
import type { ServerRun } from '../workflows/server-run.ts';
import { type StatusRow, serverStatus } from '../workflows/status.ts';
import { type EnvBackupStatus, envBackupStatus } from '../workflows/status-backups.ts';
import { AuditFile } from './ops-audit-file.ts';
import type { Actor, ApiAuditEntry, ControlPlaneOps, DeployRequest, EnvInfo, FleetView, RollbackRequest } from './ops.ts';

/** How a deploy or rollback switches: `slipway deploy`'s defaults unless given. */
export interface SwitchDefaults {
  drainMs: number;
  keep: number;
  lockWaitS: number;
}

/** The CLI's defaults (`--drain 2000 --keep 3 --lock-wait 0`). */
export const CLI_SWITCH_DEFAULTS: SwitchDefaults = { drainMs: 2000, keep: 3, lockWaitS: 0 };

export interface WorkflowOpsDeps {
  /** Reads the fleet file; called on every operation, so edits are seen. */
  loadFleet: () => Fleet | Promise<Fleet>;
  /** The serve data directory: the API audit log is `audit.jsonl` in it. */
  dataDir: string;
  now: () => number;
  /** Where workflow progress lines go; null: nowhere. */
  reportTo: Output | null;
  /** How to reach servers (default: the local socket or SSH, per server). Tests inject one. */
  connector?: Connector;
  /** Where the age identity of the secrets files may come from, and relative paths' base (as the CLI's). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** An age identity file for the encrypted secrets files (the CLI's `--identity`). */
  identity?: string;
  /** Replaces each server run's sleep (tests advance a fake clock instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  switching?: Partial<SwitchDefaults>;
  /** How many API audit entries auditLog() returns at most (the newest). */
  auditLimit?: number;
}

export function createWorkflowOps(deps: WorkflowOpsDeps): ControlPlaneOps {
  const auditFile = new AuditFile(deps.dataDir, deps.auditLimit);
  const switching: SwitchDefaults = { ...CLI_SWITCH_DEFAULTS, ...deps.switching };
  const io: SessionIO = {
    stderr: deps.reportTo ?? { write: () => undefined },
    now: deps.now,
    ...(deps.connector ? { connector: deps.connector } : {}),
    ...(deps.env ? { env: deps.env } : {}),
    ...(deps.cwd ? { cwd: deps.cwd } : {}),
  };
  const session = <T>(fleet: Fleet, servers: readonly string[], fn: (s: FleetSession) => Promise<T>, actor?: Actor): Promise<T> =>
    withSession(io, fleet, servers, { json: deps.reportTo === null, ...(deps.identity ? { identity: deps.identity } : {}) }, async (s) => {
      for (const run of s.runs.values()) {
        if (deps.sleep) run.sleep = deps.sleep;
        // The workflows' own audit entries and release records name the API's user, not serve's OS user.
        if (actor) run.store.actor = actorName(actor);
      }
      return fn(s);
    });

  return {
    async fleet(): Promise<FleetView> {
      const fleet = await deps.loadFleet();
      // partial: one unreachable server is listed as such; the others are still shown.
      return withSession(
        io,
        fleet,
        fleet.servers.map((s) => s.name),
        { json: true, partial: true, ...(deps.identity ? { identity: deps.identity } : {}) },
        async (s) => {
          const unreachable: FleetView['unreachable'] = s.failures.map((f) => ({ server: f.server, error: f.error, ...(f.hint ? { hint: f.hint } : {}) }));
          const perServer = await Promise.allSettled(
            [...s.runs.values()].map(async (run) => {
              const [processes, backups] = await Promise.all([serverStatus(run), envBackupStatus(run)]);
              return { processes, backups };
            }),
          );
          const processes: StatusRow[] = [];
          const backups: EnvBackupStatus[] = [];
          [...s.runs.keys()].forEach((server, i) => {
            const r = perServer[i]!;
            if (r.status === 'fulfilled') {
              processes.push(...r.value.processes);
              backups.push(...r.value.backups);
            } else unreachable.push({ server, error: firstLine(r.reason) });
          });
          return { environments: fleet.environments.map((e) => envInfo(fleet, e)), processes, backups, unreachable };
        },
      );
    },

    async environment(name: string): Promise<EnvInfo | undefined> {
      const fleet = await deps.loadFleet();
      const env = fleet.environments.find((e) => e.name === name);
      return env ? envInfo(fleet, env) : undefined;
    },

    async deploy(appName: string, envName: string, req: DeployRequest): Promise<DeployResult> {
      const fleet = await deps.loadFleet();
      const { app, env, server } = appEnv(fleet, appName, envName);
      return session(
        fleet,
        [server],
        (s) => deploy(runFor(s, server), app, env, { ...(req.ref ? { ref: req.ref } : {}), ...(req.image ? { image: req.image } : {}), ...switching }),
        req,
      );
    },

    async rollback(appName: string, envName: string, req: RollbackRequest): Promise<DeployResult> {
      const fleet = await deps.loadFleet();
      const { app, env, server } = appEnv(fleet, appName, envName);
      return session(fleet, [server], (s) => rollback(runFor(s, server), app, env, { ...(req.release ? { release: req.release } : {}), ...switching }), req);
    },

    async setMaintenance(envName: string, on: boolean, actor: Actor): Promise<MaintenanceResult[]> {
      const fleet = await deps.loadFleet();
      const env = envOf(fleet, envName);
      return session(
        fleet,
        serversOfEnv(fleet, env.name),
        async (s) => {
          const targets = [...s.runs.values()].flatMap((run) => routedApps(run, env.name).map((app) => ({ run, app })));
          if (targets.length === 0)
            throw new UserError(`no app has a route in ${env.name}`, 'maintenance pages replace a route; give an app a web process and a domain');
          const results: MaintenanceResult[] = [];
          // One at a time: each rewrites its server's maintenance set and reloads its proxy.
          for (const t of targets) results.push(await setMaintenance(t.run, { app: t.app, env: env.name, on }));
          return results;
        },
        actor,
      );
    },

    audit: (entry: ApiAuditEntry) => auditFile.append(entry),
    auditLog: () => auditFile.read(),
  };
}

/** How the workflows' audit names an API caller: `alice via slipway serve`, `token ci via slipway serve`. */
export function actorName(actor: Actor): string {
  return `${actor.by} via slipway serve`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

function envInfo(fleet: Fleet, env: Environment): EnvInfo {
  return { name: env.name, protected: env.protected, apps: fleet.apps.filter((a) => a.perEnv[env.name]).map((a) => a.name) };
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

/** The apps with a route (a web process and a domain) in `env` on this run's server. */
function routedApps(run: ServerRun, env: string): string[] {
  return [...new Set(run.state.routes.filter((r) => r.env === env).map((r) => r.app))];
}
