// Alert rules and their defaults, taken from the seeds: server memory above 80 % for 5 minutes
// (seed 000's trigger), disk above 85 % (seed 000 sat at 73 %), a container restarting or
// unhealthy (and a container's memory against its own limit, as the server's: 80 % for 5 minutes), the last good backup older than the environment's RPO (seed 004 states 1 hour for
// its prod), a failed restore drill, and a certificate expiring within 14 days. The fleet file can
// override any field; `alertRules` fills in the rest from the defaults.

export type AlertRuleName =
  | 'server-memory'
  | 'server-disk'
  | 'container-memory'
  | 'container-restarting'
  | 'container-unhealthy'
  | 'backup-stale'
  | 'drill-failed'
  | 'certificate-expiry';

export type AlertSeverity = 'warning' | 'critical';

export interface AlertRules {
  /** Memory used on a server above `abovePercent` of its total, continuously for `forMs`. */
  serverMemory: { enabled: boolean; abovePercent: number; forMs: number };
  /** The Docker root's file system above `abovePercent` full, continuously for `forMs`. */
  serverDisk: { enabled: boolean; abovePercent: number; forMs: number };
  /** A container's memory above `abovePercent` of its own limit, continuously for `forMs` (containers without a limit are not checked). */
  containerMemory: { enabled: boolean; abovePercent: number; forMs: number };
  /** A container's restart count went up; the alert stays until `windowMs` pass with no new restart. */
  containerRestarting: { enabled: boolean; windowMs: number };
  /** A container whose health check fails, continuously for `forMs`. */
  containerUnhealthy: { enabled: boolean; forMs: number };
  /**
   * The last good backup of an environment is older than its RPO (or there is none). Only the
   * environments with an RPO here (or every one, when `defaultRpoMs` is set) are checked.
   */
  backupStale: { enabled: boolean; rpoMs: Record<string, number>; defaultRpoMs?: number };
  /** The last restore drill (`backup verify`) of an environment failed. */
  drillFailed: { enabled: boolean };
  /** A certificate expires within `withinMs` (or has expired). */
  certificateExpiry: { enabled: boolean; withinMs: number };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const DEFAULT_ALERT_RULES: AlertRules = {
  serverMemory: { enabled: true, abovePercent: 80, forMs: 5 * MINUTE },
  serverDisk: { enabled: true, abovePercent: 85, forMs: 0 },
  containerMemory: { enabled: true, abovePercent: 80, forMs: 5 * MINUTE },
  containerRestarting: { enabled: true, windowMs: 10 * MINUTE },
  containerUnhealthy: { enabled: true, forMs: 0 },
  backupStale: { enabled: true, rpoMs: {} },
  drillFailed: { enabled: true },
  certificateExpiry: { enabled: true, withinMs: 14 * DAY },
};

export const RULE_SEVERITY: Record<AlertRuleName, AlertSeverity> = {
  'server-memory': 'warning',
  'server-disk': 'warning',
  'container-memory': 'warning',
  'container-restarting': 'warning',
  'container-unhealthy': 'critical',
  'backup-stale': 'critical',
  'drill-failed': 'critical',
  'certificate-expiry': 'warning',
};

export type AlertRulesOverrides = { [K in keyof AlertRules]?: Partial<AlertRules[K]> };

/** The default rules with `overrides` (from the fleet file) laid over them, field by field. */
export function alertRules(overrides: AlertRulesOverrides = {}): AlertRules {
  const d = DEFAULT_ALERT_RULES;
  return {
    serverMemory: { ...d.serverMemory, ...overrides.serverMemory },
    serverDisk: { ...d.serverDisk, ...overrides.serverDisk },
    containerMemory: { ...d.containerMemory, ...overrides.containerMemory },
    containerRestarting: { ...d.containerRestarting, ...overrides.containerRestarting },
    containerUnhealthy: { ...d.containerUnhealthy, ...overrides.containerUnhealthy },
    backupStale: { ...d.backupStale, ...overrides.backupStale, rpoMs: { ...d.backupStale.rpoMs, ...overrides.backupStale?.rpoMs } },
    drillFailed: { ...d.drillFailed, ...overrides.drillFailed },
    certificateExpiry: { ...d.certificateExpiry, ...overrides.certificateExpiry },
  };
}
