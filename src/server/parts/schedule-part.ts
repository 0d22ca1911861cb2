// The schedules part of `slipway serve`: the fleet's scheduled jobs (jobs.ts: a backup per
// environment with a backup policy on its cron, a restore drill of each, a certificate renewal per
// server with ACME certificates, on `control_plane.schedules`) run by the croner scheduler (no
// overlap, a missed run caught up once after a restart), each through the same workflows as the
// CLI (run-work.ts). Its state is the `schedules` document of serve's data store. Each run goes to
// the control plane's log and to the API audit log as by "schedule". It also serves the
// read-only operational data: GET /api/schedules, /api/envs/ENV/backups, /api/certs, /api/locks.
// The job list is the fleet file's at start: a restart schedules an edited file.
import type { ApiAuditEntry } from '../ops.ts';
import { createFleetOpsData } from '../ops-data/fleet-ops-data.ts';
import { partSessions } from '../ops-data/part-sessions.ts';
import { opsDataRoutes } from '../routes/ops-data-routes.ts';
import { fileScheduleStore } from '../schedules/file-schedule-store.ts';
import { jobsFromFleet, type ScheduledJob } from '../schedules/jobs.ts';
import { runWork } from '../schedules/run-work.ts';
import { type RunTrigger, type ScheduleEvent, Scheduler } from '../schedules/scheduler.ts';
import type { ServePart, ServePartFactory, ServePartInput } from '../serve-part.ts';

export interface SchedulePartOptions {
  /** Seconds a scheduled run waits for a deploy holding the environment's lock (default 300). */
  lockWaitS?: number;
}

export const DEFAULT_SCHEDULE_LOCK_WAIT_S = 300;

/** The schedule part with the defaults: what `slipway serve` runs. */
export const schedulePart: ServePartFactory = (input) => createSchedulePart(input);

export async function createSchedulePart(input: ServePartInput, opts: SchedulePartOptions = {}): Promise<ServePart> {
  const fleet = await input.loadFleet();
  const jobs = jobsFromFleet(fleet, fleet.controlPlane.schedules);
  const sessions = partSessions(input);
  const stopping = new AbortController();
  const triggers = new Map<string, RunTrigger>();
  const log = (line: string) => input.log.write(`schedules: ${line}\n`);

  const run = async (job: ScheduledJob): Promise<void> => {
    const trigger = triggers.get(job.id) ?? 'schedule';
    const work = job.work;
    const entry = (outcome: ApiAuditEntry['outcome'], detail: string): ApiAuditEntry => ({
      at: new Date(input.now()).toISOString(),
      by: 'schedule',
      action: work.kind,
      ...('env' in work ? { env: work.env } : {}),
      outcome,
      status: outcome === 'ok' ? 200 : 500,
      detail: `${trigger === 'schedule' ? '' : `${trigger}: `}${'server' in work ? `${work.server}: ` : ''}${detail}`.slice(0, 200),
    });
    let summary: string;
    try {
      summary = await runWork(
        {
          sessions,
          env: input.env,
          cwd: input.cwd,
          ...(input.identity ? { identity: input.identity } : {}),
          lockWaitS: opts.lockWaitS ?? DEFAULT_SCHEDULE_LOCK_WAIT_S,
          signal: stopping.signal,
        },
        await input.loadFleet(),
        work,
      );
    } catch (e) {
      await audit(entry('failed', firstLine(e)));
      throw e;
    }
    log(`${job.id}: ${summary}`);
    await audit(entry('ok', summary));
  };
  const audit = async (e: ApiAuditEntry) => {
    try {
      await input.ops.audit(e);
    } catch (err) {
      log(`could not record ${e.action} in the audit log: ${firstLine(err)}`);
    }
  };

  const scheduler = new Scheduler({
    jobs,
    run,
    store: fileScheduleStore(input.store),
    now: input.now,
    onEvent: (e) => {
      if (e.kind === 'started') triggers.set(e.id, e.trigger);
      const line = describe(e);
      if (line) log(line);
    },
  });
  const data = createFleetOpsData({ loadFleet: input.loadFleet, sessions, now: input.now, scheduleRows: () => scheduler.list(3) });

  return {
    name: 'schedules',
    routes: (app, s) => opsDataRoutes(app, s, data),
    async start() {
      const { caughtUp } = await scheduler.start();
      log(`${jobs.length} job(s) scheduled${caughtUp.length ? `; catching up ${caughtUp.join(', ')}` : ''}`);
      return async () => {
        scheduler.stop();
        // A drill under way removes its throwaways; a backup finishes (a killed one leaves leftovers for the next).
        stopping.abort();
        await scheduler.idle();
      };
    },
  };
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

function describe(e: ScheduleEvent): string | undefined {
  switch (e.kind) {
    case 'started':
      return `${e.id}: started (${e.trigger})`;
    case 'finished':
      return e.run.outcome === 'ok' ? `${e.id}: ok in ${e.run.durationMs} ms` : `${e.id}: failed in ${e.run.durationMs} ms: ${e.run.error}`;
    case 'skipped':
      return `${e.id}: ${e.trigger} run skipped: ${e.reason}`;
    case 'catch-up':
      return `${e.id}: ${e.missedSlots} run(s) missed while serve was down (latest ${new Date(e.missedSlot).toISOString()}): running it once now`;
    case 'store-failed':
      return `${e.id}: could not save the schedule state: ${e.error}`;
    case 'invalid-schedule':
      return `${e.id}: "${e.cron}" cannot be scheduled: ${e.error}`;
  }
}
