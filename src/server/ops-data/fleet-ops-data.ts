// The real OpsData: each listing reads the fleet file afresh, opens a quiet, partial fleet session
// (an unreachable server is listed with its error, the others are read), calls the workflow the
// CLI's listing calls — listBackups (`slipway backups`), listCertificates (`slipway certs`),
// lockStatus (`slipway lock status`) — per server, so one server failing mid-read costs only its
// own entry, and closes the session. Schedules come from the running scheduler.
import type { Fleet } from '../../config/fleet.ts';
import type { FleetSession } from '../../workflows/fleet-session.ts';
import type { ServerRun } from '../../workflows/server-run.ts';
import type { ScheduleRow } from '../schedules/scheduler.ts';
import type { BackupsView, CertView, Listed, LockView, OpsData, ScheduleView, ServerError } from './ops-data.ts';
import type { PartSessions } from './part-sessions.ts';

export interface FleetOpsDataDeps {
  loadFleet: () => Promise<Fleet>;
  sessions: PartSessions;
  now: () => number;
  /** The scheduler's rows (empty until the schedule part has jobs). */
  scheduleRows: () => ScheduleRow[];
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
const hintOf = (e: unknown): string | undefined => (e as { hint?: unknown })?.hint as string | undefined;

function serverError(server: string, e: unknown): ServerError {
  const hint = hintOf(e);
  return { server, error: firstLine(e), ...(typeof hint === 'string' ? { hint } : {}) };
}

export function createFleetOpsData(deps: FleetOpsDataDeps): OpsData {
  /** `read` on every run of a partial session over `servers`; a failing server becomes its error entry. */
  const perServer = async <T>(fleet: Fleet, servers: readonly string[], read: (run: ServerRun, s: FleetSession) => Promise<T[]>): Promise<Listed<T>[]> =>
    deps.sessions(fleet, servers, { partial: true, quiet: true }, async (s) => {
      const failed: Listed<T>[] = s.failures.map((f) => ({ server: f.server, error: f.error, ...(f.hint ? { hint: f.hint } : {}) }));
      const rows = await Promise.all(
        [...s.runs].map(async ([server, run]): Promise<Listed<T>[]> => {
          try {
            return await read(run, s);
          } catch (e) {
            return [serverError(server, e)];
          }
        }),
      );
      return [...rows.flat(), ...failed];
    });

  return {
    schedules: () => deps.scheduleRows().map(scheduleView),

    async backups(envName: string): Promise<BackupsView> {
      const fleet = await deps.loadFleet();
      const env = fleet.environments.find((e) => e.name === envName);
      if (!env) return { backups: [], errors: [] };
      const { listBackups } = await import('../../workflows/backup/list.ts');
      const rows = await perServer(fleet, [env.server], async (_run, s) => listBackups(s, { env: env.name, now: deps.now() }));
      const backups: BackupsView['backups'] = [];
      const errors: ServerError[] = [];
      for (const r of rows) {
        if (!('id' in r)) {
          errors.push(r);
          continue;
        }
        backups.push({
          id: r.id,
          at: r.startedAt,
          ageS: r.ageS,
          sizeBytes: r.bytes,
          status: r.status,
          complete: r.complete,
          ...(r.verifiedAt ? { verifiedAt: r.verifiedAt } : {}),
          ...(r.verification ? { verifyOk: r.verification.result === 'ok' } : {}),
          ...(r.verification?.detail ? { verifyDetail: r.verification.detail } : {}),
          ...(r.error ? { error: r.error } : {}),
        });
      }
      return { backups, errors };
    },

    async certs(): Promise<Listed<CertView>[]> {
      const fleet = await deps.loadFleet();
      const { listCertificates } = await import('../../workflows/tls/cert-list.ts');
      const rows = await perServer(
        fleet,
        fleet.servers.map((s) => s.name),
        async (run) =>
          (await listCertificates(run)).map(
            (c): CertView => ({
              server: c.server,
              domain: c.host,
              domains: c.domains,
              ...(c.env ? { env: c.env } : {}),
              issuer: c.issuer,
              notAfter: c.notAfter,
              daysLeft: c.daysLeft,
              source: c.source,
            }),
          ),
      );
      return rows.sort((a, b) => a.server.localeCompare(b.server) || ('domain' in a && 'domain' in b ? a.domain.localeCompare(b.domain) : 0));
    },

    async locks(): Promise<Listed<LockView>[]> {
      const fleet = await deps.loadFleet();
      const { lockStatus } = await import('../../workflows/lock-admin.ts');
      const rows = await perServer(
        fleet,
        fleet.servers.map((s) => s.name),
        async (run, s) => {
          // lockStatus over this server alone, so that another server's failure is not this one's.
          const one: FleetSession = { ...s, runs: new Map([[run.conn.server.name, run]]) };
          return (await lockStatus(one)).flatMap((l): LockView[] =>
            l.locked
              ? [
                  {
                    server: l.server,
                    env: l.env,
                    holder: l.holder ?? '?',
                    command: l.command ?? '?',
                    since: l.since ?? '?',
                    host: l.host ?? '?',
                    pid: l.pid ?? 0,
                    stale: l.stale,
                  },
                ]
              : [],
          );
        },
      );
      return rows.sort((a, b) => a.server.localeCompare(b.server) || ('env' in a && 'env' in b ? a.env.localeCompare(b.env) : 0));
    },
  };
}

export function scheduleView(row: ScheduleRow): ScheduleView {
  const w = row.work;
  return {
    id: row.id,
    kind: w.kind,
    ...('env' in w ? { env: w.env } : { server: w.server }),
    cron: row.cron,
    next: row.next,
    ...(row.lastRun
      ? {
          lastRun: {
            at: new Date(row.lastRun.at).toISOString(),
            outcome: row.lastRun.outcome,
            durationMs: row.lastRun.durationMs,
            ...(row.lastRun.error ? { error: row.lastRun.error } : {}),
            trigger: row.lastRun.trigger,
          },
        }
      : {}),
    running: row.running,
    ...(row.problem ? { problem: row.problem } : {}),
  };
}
