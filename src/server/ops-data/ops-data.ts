// OpsData: the port through which the control plane's read-only operational routes (schedules,
// backups, certificates, locks) read the fleet. Plain data as the API answers it; the real one
// (fleet-ops-data.ts) calls the same listing workflows as `slipway backups`, `slipway certs` and
// `slipway lock status`, and tests use a fake. A server that cannot be reached, or fails while it
// is read, is an entry `{ server, error }` in the list, never a failure of the whole list.

/** A server that could not be read: named in the list in place of its rows. */
export interface ServerError {
  server: string;
  error: string;
  hint?: string;
}

export interface ScheduleView {
  id: string;
  kind: 'backup' | 'backup-verify' | 'cert-renewal';
  env?: string;
  server?: string;
  cron: string;
  /** The next run times, ISO 8601 UTC (none when the cron cannot be read: see `problem`). */
  next: string[];
  lastRun?: { at: string; outcome: 'ok' | 'failed'; durationMs: number; error?: string; trigger: 'schedule' | 'catch-up' | 'manual' };
  running: boolean;
  problem?: string;
}

export interface BackupView {
  id: string;
  /** When it started, ISO 8601. */
  at: string;
  ageS: number;
  /** Encrypted bytes of one copy. */
  sizeBytes: number;
  status: 'running' | 'ok' | 'partial' | 'failed';
  /** Destinations holding it complete. */
  complete: string[];
  verifiedAt?: string;
  verifyOk?: boolean;
  /** What the last verification found wrong, or why it could not run. */
  verifyDetail?: string;
  error?: string;
}

export interface BackupsView {
  backups: BackupView[];
  /** The environment's server, when it could not be read. */
  errors: ServerError[];
}

export interface CertView {
  server: string;
  /** The host the certificate is for. */
  domain: string;
  /** Every name on it. */
  domains: string[];
  env?: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
  source: 'slipway acme' | 'files' | 'caddy';
}

export interface LockView {
  server: string;
  env: string;
  holder: string;
  /** What runs under it (`deploy web prod`…). */
  command: string;
  since: string;
  host: string;
  pid: number;
  /** Its holder ran on this host and is gone: `slipway lock release ENV` frees it. */
  stale: boolean;
}

export type Listed<T> = T | ServerError;

export interface OpsData {
  /** Every scheduled job with its next 3 run times and last run. */
  schedules(): ScheduleView[];
  /** The backups of `env` (an environment of the fleet), newest first. */
  backups(env: string): Promise<BackupsView>;
  /** The certificates on each server, by server then host. */
  certs(): Promise<Listed<CertView>[]>;
  /** The environment locks held on each server. */
  locks(): Promise<Listed<LockView>[]>;
}

export const isServerError = (row: object): row is ServerError => 'error' in row && !('domain' in row) && !('holder' in row);
