// The fleet file's `control_plane:` section as written (zod), for `slipway serve`: its domain,
// the /metrics token, drill and renewal schedules, git webhooks, alert rules and notifications.
// Secrets are `{ secret: NAME }`; durations are strings ("5m", "14d"). normalize-control-plane.ts
// turns it into config/control-plane.ts's ControlPlaneConfig.
import { z } from 'zod';

const secretRef = z.object({ secret: z.string().min(1, 'expected a secret name') }).strict();
const duration = z.string({ invalid_type_error: 'expected a duration such as "30s", "5m", "1h" or "14d"' });
const percent = z.number().min(1, 'expected a percentage from 1 to 100').max(100, 'expected a percentage from 1 to 100');

const threshold = z.union([z.literal(false), z.object({ above_percent: percent.optional(), for: duration.optional() }).strict()]);

const alertsSchema = z
  .object({
    server_memory: threshold.optional(),
    server_disk: threshold.optional(),
    container_memory: threshold.optional(),
    container_restarting: z.union([z.literal(false), z.object({ window: duration.optional() }).strict()]).optional(),
    container_unhealthy: z.union([z.literal(false), z.object({ for: duration.optional() }).strict()]).optional(),
    backup_stale: z
      .union([z.literal(false), z.object({ rpo: z.record(z.string(), duration).optional(), default_rpo: duration.optional() }).strict()])
      .optional(),
    drill_failed: z.boolean().optional(),
    certificate_expiry: z.union([z.literal(false), z.object({ within: duration.optional() }).strict()]).optional(),
  })
  .strict();

const emailSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    from: z.string().min(3),
    to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
    user: z.string().min(1).optional(),
    password: secretRef.optional(),
    secure: z.boolean().optional(),
    require_tls: z.boolean().optional(),
  })
  .strict();

const triggerSchema = z
  .object({
    branches: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    tags: z.string().min(1).optional(),
  })
  .strict();

export const controlPlaneSchema = z
  .object({
    domain: z.string().min(1).optional(),
    // slipway serve install: the server it runs on and the environment whose network, proxy and TLS it uses
    server: z.string().min(1).optional(),
    env: z.string().min(1).optional(),
    metrics_token: secretRef.optional(),
    schedules: z
      .object({ verify: z.string().min(1).optional(), cert_renewal: z.string().min(1).optional() })
      .strict()
      .optional(),
    webhooks: z
      .object({
        secret: secretRef.optional(),
        repositories: z.record(z.string(), z.object({ url: z.string().min(1), deploy_key: secretRef.optional() }).strict()).optional(),
        // environment -> what pushes deploy it (absent: its deploy policy decides)
        triggers: z.record(z.string(), triggerSchema).optional(),
      })
      .strict()
      .optional(),
    alerts: alertsSchema.optional(),
    notify: z
      .object({
        webhooks: z.record(z.string(), z.object({ url: secretRef }).strict()).optional(),
        email: emailSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RawControlPlane = z.infer<typeof controlPlaneSchema>;
