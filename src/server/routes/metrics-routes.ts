// The metrics part's routes. GET /metrics: the Prometheus text, for `Authorization: Bearer` with
// the metrics token (the secret `control_plane.metrics_token` names; compared in constant time)
// or an API token that is not limited to some environments (metrics span them all). It is not
// under /api, so scrapes are not audit entries. GET /api/servers: each server's memory, disk,
// load and CPUs, one unreachable server answered as `ok: false` with its error. GET /api/alerts:
// the alerts that hold now (firing, or pending until their `for`), as an env-limited token may see them.
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Secret } from '../../util/secret.ts';
import type { ActiveAlert } from '../alerts/alert-evaluator.ts';
import { type ApiEnv, type ApiServices, noteAction, principalOf } from '../api-context.ts';
import { authorize } from '../auth/authorize.ts';
import { ApiError } from '../errors.ts';
import { bearerToken, tokensMatch } from '../metrics/metrics-handler.ts';
import type { ServerReading } from '../metrics/fleet-sampler.ts';
import { authenticate } from '../middleware/authenticate.ts';

export interface MetricsRouteDeps {
  registry: Registry;
  /** The servers as last sampled (a fresh sample when the last one is old). */
  servers: () => Promise<ServerReading[]>;
  alerts: () => ActiveAlert[];
  /** The metrics token, or undefined when the fleet file names none (then only API tokens are accepted). */
  metricsToken: () => Promise<Secret | undefined>;
}

const METRICS_HINT = 'send Authorization: Bearer with the metrics token (control_plane.metrics_token) or an API token';

export function metricsRoutes(app: Hono<ApiEnv>, s: ApiServices, deps: MetricsRouteDeps): void {
  app.get('/metrics', async (c) => {
    const presented = bearerToken(c.req.header('authorization'));
    if (presented === undefined) throw new ApiError(401, 'the metrics need a token', METRICS_HINT, { 'WWW-Authenticate': 'Bearer realm="slipway metrics"' });
    const expected = await deps.metricsToken().catch(() => undefined);
    if (!(expected && tokensMatch(presented, expected.reveal()))) {
      const token = await s.tokens.lookup(presented);
      if (!token) throw new ApiError(401, 'invalid metrics token', METRICS_HINT, { 'WWW-Authenticate': 'Bearer realm="slipway metrics"' });
      if (token.envs)
        throw new ApiError(
          403,
          `token ${token.name} is limited to ${token.envs.join(', ')}; the metrics cover every environment`,
          'use the metrics token or an API token for all environments',
        );
    }
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.registry.contentType, 'cache-control': 'no-store' });
  });

  const auth = authenticate(s);

  app.get('/api/servers', noteAction('servers.view'), auth, async (c) => {
    allowView(c);
    return c.json({ servers: await deps.servers() });
  });

  app.get('/api/alerts', noteAction('alerts.view'), auth, async (c) => {
    allowView(c);
    const envs = principalOf(c).envs;
    const alerts = deps
      .alerts()
      .filter((a) => !envs || a.labels.env === undefined || envs.includes(a.labels.env))
      .sort((a, b) => a.since - b.since || a.key.localeCompare(b.key))
      .map((a) => ({
        key: a.key,
        rule: a.rule,
        severity: a.severity,
        title: a.title,
        detail: a.detail,
        since: new Date(a.since).toISOString(),
        status: a.status,
      }));
    return c.json({ alerts });
  });
}

function allowView(c: Parameters<typeof principalOf>[0]): void {
  const d = authorize(principalOf(c), 'view');
  if (!d.ok) throw new ApiError(403, d.reason, d.hint);
}
