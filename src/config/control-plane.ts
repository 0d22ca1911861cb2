// The control plane's settings, from the fleet file's `control_plane:` section (normalized by
// normalize-control-plane.ts): its own domain for `serve install`, the token of /metrics, the
// schedules of restore drills and certificate renewals, git webhooks (signing secret, the
// repositories to fetch with their deploy keys, and which pushes deploy which environment), alert
// rules laid over the seeds' defaults, and where notifications go. Secrets are names of secrets
// (`{ secret: NAME }`), looked up when used; durations are milliseconds.

export interface ControlPlaneConfig {
  /** The domain `slipway serve install` puts the dashboard on (TLS as the proxy's certificates). */
  domain?: string;
  /** Where `slipway serve install` runs it: a server of the fleet, in one of its environments (network, proxy, TLS). */
  install?: { server: string; env: string };
  /** Secret holding the bearer token /metrics requires (besides an API token with the viewer role). */
  metricsTokenSecret?: string;
  schedules: ControlPlaneSchedules;
  webhooks: WebhookSettings;
  /** Overrides of the default alert rules, field by field (absent: the defaults). */
  alerts: AlertOverrides;
  notify: NotifySettings;
}

export interface ControlPlaneSchedules {
  /** Restore drills (`backup verify`) of each environment with backups; default weekly, Sunday 05:00 UTC. */
  verify: string;
  /** Certificate renewal check per server with ACME certificates; default daily 04:00 UTC. */
  certRenewal: string;
}

export interface WebhookSettings {
  /** Secret holding the shared secret: GitHub's and Gitea's HMAC key, GitLab's X-Gitlab-Token. */
  secretName?: string;
  /** Per app: where the webhook's deploys fetch the code from (the app's `git:` repository is fetched into). */
  repositories: Record<string, { url: string; deployKeySecret?: string }>;
  /** What pushes deploy which environment; absent for an environment: its deploy policy decides. */
  triggers: { env: string; branches?: string[]; tags?: string }[];
}

export interface AlertOverrides {
  serverMemory?: { enabled?: boolean; abovePercent?: number; forMs?: number };
  serverDisk?: { enabled?: boolean; abovePercent?: number; forMs?: number };
  containerMemory?: { enabled?: boolean; abovePercent?: number; forMs?: number };
  containerRestarting?: { enabled?: boolean; windowMs?: number };
  containerUnhealthy?: { enabled?: boolean; forMs?: number };
  backupStale?: { enabled?: boolean; rpoMs?: Record<string, number>; defaultRpoMs?: number };
  drillFailed?: { enabled?: boolean };
  certificateExpiry?: { enabled?: boolean; withinMs?: number };
}

export interface NotifySettings {
  /** Slack-compatible webhooks; the URL is a secret (it carries a token). */
  webhooks: { name: string; urlSecret: string }[];
  email?: EmailSettings;
}

export interface EmailSettings {
  host: string;
  port: number;
  from: string;
  to: string[];
  user?: string;
  passwordSecret?: string;
  /** TLS from the first byte (default: port 465). */
  secure?: boolean;
  requireTls?: boolean;
}

/** Restore drills weekly on Sunday 05:00 UTC (after the 03:00 default backup); renewals daily 04:00 UTC. */
export const DEFAULT_DRILL_SCHEDULE = '0 5 * * 0';
export const DEFAULT_RENEWAL_SCHEDULE = '0 4 * * *';

/** The settings of a fleet file without `control_plane:` (a fresh object each call). */
export function defaultControlPlane(): ControlPlaneConfig {
  return {
    schedules: { verify: DEFAULT_DRILL_SCHEDULE, certRenewal: DEFAULT_RENEWAL_SCHEDULE },
    webhooks: { repositories: {}, triggers: [] },
    alerts: {},
    notify: { webhooks: [] },
  };
}
