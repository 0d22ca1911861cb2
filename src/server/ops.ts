// ControlPlaneOps: the port through which the HTTP API acts on the fleet. Every method returns
// plain data (what `status --json`, `deploy --json` and friends print); the real implementation
// calls the same workflows as the CLI, and tests use a fake. The API does authentication,
// authorization, validation and audit; the port does the work.
import type { DeployResult } from '../workflows/deploy.ts';
import type { MaintenanceResult } from '../workflows/maintenance.ts';
import type { StatusRow } from '../workflows/status.ts';
import type { EnvBackupStatus } from '../workflows/status-backups.ts';

/** An environment as the API needs to know it: whether it is protected, and its apps. */
export interface EnvInfo {
  name: string;
  protected: boolean;
  apps: string[];
}

export interface FleetView {
  environments: EnvInfo[];
  processes: StatusRow[];
  backups: EnvBackupStatus[];
  /** Servers that could not be reached or read: the rest of the view is still shown. */
  unreachable: { server: string; error: string; hint?: string }[];
}

/** Who asked, for the workflow's own audit entries and locks: a user name or `token NAME`. */
export interface Actor {
  by: string;
}

export interface DeployRequest extends Actor {
  ref?: string;
  image?: string;
}

export interface RollbackRequest extends Actor {
  /** A release id; the previous good release when absent. */
  release?: string;
}

/** One API action, allowed or refused, as the audit log keeps it. */
export interface ApiAuditEntry {
  at: string;
  /** User name, `token NAME`, or `anonymous` (or the name tried, for a failed login). */
  by: string;
  /** `login`, `logout`, `deploy`, `rollback`, `maintenance`, `token.create`, `token.delete`, or `METHOD /path` for anything else. */
  action: string;
  env?: string;
  app?: string;
  outcome: 'ok' | 'refused' | 'failed';
  /** The HTTP status answered. */
  status: number;
  /** What was refused or failed, or what was done (a release id); never a secret. */
  detail?: string;
  ip?: string;
}

export interface ControlPlaneOps {
  fleet(): Promise<FleetView>;
  /** The environment named so, or undefined when the fleet has none. */
  environment(name: string): Promise<EnvInfo | undefined>;
  deploy(app: string, env: string, req: DeployRequest): Promise<DeployResult>;
  rollback(app: string, env: string, req: RollbackRequest): Promise<DeployResult>;
  setMaintenance(env: string, on: boolean, actor: Actor): Promise<MaintenanceResult[]>;
  audit(entry: ApiAuditEntry): Promise<void>;
  /** The newest entries last. */
  auditLog(): Promise<ApiAuditEntry[]>;
}
