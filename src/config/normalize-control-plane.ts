// `control_plane:` with its defaults (config/control-plane.ts): durations to milliseconds, cron
// schedules and the domain checked, webhook repositories and triggers naming apps and
// environments that exist. Problems are diagnostics with the path and a hint, as elsewhere.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { parseLongDuration } from '../util/duration.ts';
import { type AlertOverrides, type ControlPlaneConfig, defaultControlPlane } from './control-plane.ts';
import type { RawControlPlane } from './control-plane-schema.ts';
import { cronProblem } from './normalize-backup.ts';
import type { YamlSource } from './yaml-source.ts';

interface Ctx {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

const ROOT = 'control_plane';

export function normalizeControlPlane(raw: RawControlPlane | undefined, ctx: Ctx): ControlPlaneConfig {
  const cp = defaultControlPlane();
  if (!raw) return cp;
  if (raw.domain !== undefined) {
    if (/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(raw.domain)) cp.domain = raw.domain.toLowerCase();
    else
      err(
        ctx,
        'control-plane-domain',
        [ROOT, 'domain'],
        `"${raw.domain}" is not a domain name`,
        'write the host name the dashboard answers on, e.g. deploy.example.com',
      );
  }
  if (raw.server !== undefined || raw.env !== undefined) {
    if (raw.server === undefined || raw.env === undefined || raw.domain === undefined)
      err(
        ctx,
        'control-plane-install',
        [ROOT],
        'server, env and domain go together',
        'to run the dashboard on a server, give all three: server (where), env (whose proxy and TLS), domain',
      );
    else cp.install = { server: raw.server, env: raw.env };
  }
  if (raw.metrics_token) cp.metricsTokenSecret = raw.metrics_token.secret;
  for (const [key, field] of [
    ['verify', 'verify'],
    ['cert_renewal', 'certRenewal'],
  ] as const) {
    const expr = raw.schedules?.[key];
    if (expr === undefined) continue;
    const problem = cronProblem(expr);
    if (problem) err(ctx, 'control-plane-schedule', [ROOT, 'schedules', key], problem, 'write a cron schedule in UTC, e.g. "0 5 * * 0" (Sundays at 05:00)');
    else cp.schedules[field] = expr;
  }
  const wh = raw.webhooks;
  if (wh) {
    if (wh.secret) cp.webhooks.secretName = wh.secret.secret;
    for (const [app, r] of Object.entries(wh.repositories ?? {}))
      cp.webhooks.repositories[app] = { url: r.url, ...(r.deploy_key ? { deployKeySecret: r.deploy_key.secret } : {}) };
    for (const [env, t] of Object.entries(wh.triggers ?? {}))
      cp.webhooks.triggers.push({
        env,
        ...(t.branches !== undefined ? { branches: typeof t.branches === 'string' ? [t.branches] : [...t.branches] } : {}),
        ...(t.tags !== undefined ? { tags: t.tags } : {}),
      });
  }
  if (raw.alerts) cp.alerts = alertOverrides(raw.alerts, ctx);
  const n = raw.notify;
  if (n) {
    for (const [name, w] of Object.entries(n.webhooks ?? {})) cp.notify.webhooks.push({ name, urlSecret: w.url.secret });
    if (n.email) {
      const e = n.email;
      cp.notify.email = {
        host: e.host,
        port: e.port ?? (e.secure ? 465 : 587),
        from: e.from,
        to: typeof e.to === 'string' ? [e.to] : [...e.to],
        ...(e.user !== undefined ? { user: e.user } : {}),
        ...(e.password ? { passwordSecret: e.password.secret } : {}),
        ...(e.secure !== undefined ? { secure: e.secure } : {}),
        ...(e.require_tls !== undefined ? { requireTls: e.require_tls } : {}),
      };
    }
  }
  return cp;
}

/** Names in `control_plane:` that must exist in the fleet (apps of webhook repositories, environments of triggers). */
export function checkControlPlaneNames(
  cp: ControlPlaneConfig,
  apps: readonly string[],
  envs: readonly string[],
  ctx: Ctx,
  servers: readonly string[] = [],
): void {
  if (cp.install && !servers.includes(cp.install.server))
    err(ctx, 'control-plane-unknown-server', [ROOT, 'server'], `unknown server "${cp.install.server}"`, `servers in the fleet: ${servers.join(', ')}`);
  if (cp.install && !envs.includes(cp.install.env))
    err(ctx, 'control-plane-unknown-env', [ROOT, 'env'], `unknown environment "${cp.install.env}"`, `environments in the fleet: ${envs.join(', ')}`);
  for (const app of Object.keys(cp.webhooks.repositories))
    if (!apps.includes(app))
      err(
        ctx,
        'control-plane-unknown-app',
        [ROOT, 'webhooks', 'repositories', app],
        `unknown app "${app}"`,
        `apps in the fleet: ${apps.join(', ') || '(none)'}`,
      );
  for (const t of cp.webhooks.triggers)
    if (!envs.includes(t.env))
      err(
        ctx,
        'control-plane-unknown-env',
        [ROOT, 'webhooks', 'triggers', t.env],
        `unknown environment "${t.env}"`,
        `environments in the fleet: ${envs.join(', ')}`,
      );
  for (const env of Object.keys(cp.alerts.backupStale?.rpoMs ?? {}))
    if (!envs.includes(env))
      err(
        ctx,
        'control-plane-unknown-env',
        [ROOT, 'alerts', 'backup_stale', 'rpo', env],
        `unknown environment "${env}"`,
        `environments in the fleet: ${envs.join(', ')}`,
      );
}

type RawAlerts = NonNullable<RawControlPlane['alerts']>;

function alertOverrides(raw: RawAlerts, ctx: Ctx): AlertOverrides {
  const ms = (text: string | undefined, path: string[]): number | undefined => {
    if (text === undefined) return undefined;
    const v = parseLongDuration(text);
    if (v === undefined) err(ctx, 'control-plane-duration', [ROOT, 'alerts', ...path], `invalid duration "${text}"`, 'write e.g. "30s", "5m", "1h" or "14d"');
    return v;
  };
  const pick = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const threshold = (r: RawAlerts['server_memory'], name: string) =>
    r === undefined ? undefined : r === false ? { enabled: false } : pick({ abovePercent: r.above_percent, forMs: ms(r.for, [name, 'for']) });
  const out: AlertOverrides = {};
  const set = <K extends keyof AlertOverrides>(k: K, v: AlertOverrides[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('serverMemory', threshold(raw.server_memory, 'server_memory'));
  set('serverDisk', threshold(raw.server_disk, 'server_disk'));
  set('containerMemory', threshold(raw.container_memory, 'container_memory'));
  const r = raw.container_restarting;
  set(
    'containerRestarting',
    r === undefined ? undefined : r === false ? { enabled: false } : pick({ windowMs: ms(r.window, ['container_restarting', 'window']) }),
  );
  const u = raw.container_unhealthy;
  set('containerUnhealthy', u === undefined ? undefined : u === false ? { enabled: false } : pick({ forMs: ms(u.for, ['container_unhealthy', 'for']) }));
  const b = raw.backup_stale;
  if (b === false) out.backupStale = { enabled: false };
  else if (b) {
    const rpoMs: Record<string, number> = {};
    for (const [env, d] of Object.entries(b.rpo ?? {})) {
      const v = ms(d, ['backup_stale', 'rpo', env]);
      if (v !== undefined) rpoMs[env] = v;
    }
    out.backupStale = pick({ rpoMs, defaultRpoMs: ms(b.default_rpo, ['backup_stale', 'default_rpo']) });
  }
  if (raw.drill_failed !== undefined) out.drillFailed = { enabled: raw.drill_failed };
  const c = raw.certificate_expiry;
  set('certificateExpiry', c === undefined ? undefined : c === false ? { enabled: false } : pick({ withinMs: ms(c.within, ['certificate_expiry', 'within']) }));
  return out;
}

function err(ctx: Ctx, code: string, path: string[], message: string, hint: string): void {
  ctx.diagnostics.push({ severity: 'error', code, path: path.join('/'), message, hint, pos: ctx.src.posOf(path) });
}
