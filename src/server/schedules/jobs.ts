// The scheduled jobs of a fleet: a backup per environment with a backup policy (on its
// `schedule`), a restore drill (`backup verify`) of each such environment, and a certificate
// renewal per server that serves ACME certificates. The fleet file has a cron field for backups
// only; the drill's and the renewal's schedules are `ScheduleDefaults` until it has fields for them.
import type { Fleet } from '../../config/fleet.ts';

export type ScheduledWork = { kind: 'backup'; env: string } | { kind: 'backup-verify'; env: string } | { kind: 'cert-renewal'; server: string };

export interface ScheduledJob {
  /** Stable across restarts (the persisted state is keyed by it): `backup:prod`, `cert-renewal:vps1`. */
  id: string;
  /** Cron expression, UTC. */
  cron: string;
  work: ScheduledWork;
}

export interface ScheduleDefaults {
  /** Restore drills: weekly, Sunday 05:00 UTC (after the 03:00 default backup). */
  verify: string;
  /** Certificate renewal check: daily 04:00 UTC. */
  certRenewal: string;
}

export const DEFAULT_SCHEDULES: ScheduleDefaults = { verify: '0 5 * * 0', certRenewal: '0 4 * * *' };

export function jobId(work: ScheduledWork): string {
  return `${work.kind}:${'env' in work ? work.env : work.server}`;
}

/** The fleet's jobs, in fleet order: backups and drills per environment, then renewals per server. */
export function jobsFromFleet(fleet: Pick<Fleet, 'environments' | 'apps'>, defaults: ScheduleDefaults = DEFAULT_SCHEDULES): ScheduledJob[] {
  const jobs: ScheduledJob[] = [];
  const add = (cron: string, work: ScheduledWork) => jobs.push({ id: jobId(work), cron, work });
  for (const env of fleet.environments) {
    if (!env.backup) continue;
    add(env.backup.schedule, { kind: 'backup', env: env.name });
    add(defaults.verify, { kind: 'backup-verify', env: env.name });
  }
  // An app placed on another server in an environment has its routes (and certificates) there.
  const acme = new Set(fleet.environments.filter((e) => e.domain !== null && e.tls.mode === 'auto').map((e) => e.name));
  const acmeServers = new Set(fleet.environments.filter((e) => acme.has(e.name)).map((e) => e.server));
  for (const app of fleet.apps) for (const pe of Object.values(app.perEnv)) if (acme.has(pe.env)) acmeServers.add(pe.server);
  for (const server of acmeServers) add(defaults.certRenewal, { kind: 'cert-renewal', server });
  return jobs;
}
