// The shapes the dashboard reads from the HTTP API: the core API's own types (src/server/ops.ts),
// the live part's (jobs, releases), the operational data's (backups, schedules, certificates,
// locks), the webhook deliveries, and the metrics part's servers and alerts as the API contract of
// issue 13 gives them. Every field a part may leave out is optional here, so a page renders
// whatever an API answers and never breaks on a missing one.
import type { Principal } from '../server/auth/authorize.ts';
import type { JobView } from '../server/jobs/job.ts';
import type { ReleaseView } from '../server/live/live-port.ts';
import type { ApiAuditEntry, FleetView } from '../server/ops.ts';
import type { BackupView as BackupItemView, CertView, Listed, LockView, ScheduleView, ServerError } from '../server/ops-data/ops-data.ts';
import type { Delivery } from '../server/webhooks/deliveries.ts';

/** GET /api/me. */
export interface MeView extends Principal {
  csrfToken?: string;
}

/** One environment's backup summary, as GET /api/fleet gives it (plus a size when known). */
export type BackupView = FleetView['backups'][number] & { sizeBytes?: number };

/** GET /api/fleet (servers that could not be read are listed apart, when the API says so). */
export type FleetPageData = Omit<FleetView, 'backups' | 'unreachable'> & {
  backups: BackupView[];
  unreachable?: { server: string; error: string; hint?: string }[];
};

export type ProcessView = FleetView['processes'][number];
export type EnvView = FleetView['environments'][number];

/** GET /api/audit. */
export interface AuditView {
  entries: ApiAuditEntry[];
}

/** One server of GET /api/servers (the metrics part): `ok: false` with its error when unreachable. */
export interface ServerView {
  name: string;
  ok: boolean;
  error?: string;
  memory?: { usedBytes: number; totalBytes: number };
  disk?: { usedBytes: number; totalBytes: number };
  load1?: number;
  cpus?: number;
}

/** One alert of GET /api/alerts (the metrics part). */
export interface AlertView {
  key: string;
  rule: string;
  severity: string;
  title: string;
  detail?: string;
  since: string;
  status: string;
}

/** A job as GET /api/jobs lists it (no steps) or GET /api/jobs/ID gives it (with its steps). */
export type JobSummary = Omit<JobView, 'steps'> & { steps?: JobView['steps'] };

export type { BackupItemView, CertView, Delivery, JobView, Listed, LockView, ReleaseView, ScheduleView, ServerError };

/** GET /api/envs/ENV/backups. */
export interface EnvBackupsView {
  backups: BackupItemView[];
  errors?: ServerError[];
}

/** An API answer as a page gets it: the data, or the refusal or failure with its hint. */
export type Answer<T> = { ok: true; data: T } | Refusal;
export interface Refusal {
  ok: false;
  status: number;
  error: string;
  hint: string;
}
