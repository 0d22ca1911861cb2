// The control plane's read-only operational data (viewer role): GET /api/schedules (each
// scheduled job with its cron, next 3 runs and last run), GET /api/envs/ENV/backups (age, size,
// status, last verification), GET /api/certs (per server: domain, notAfter, days left) and
// GET /api/locks (the environment locks held on each server). A server that cannot be read is an
// entry `{ server, error }` in the list, never a 5xx for the whole list. A token limited to some
// environments sees only what belongs to them (a certificate by the environment of its route).
import type { Hono } from 'hono';
import { type ApiContext, type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { authorize } from '../auth/authorize.ts';
import { ApiError } from '../errors.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { isServerError, type OpsData } from '../ops-data/ops-data.ts';

export function opsDataRoutes(app: Hono<ApiEnv>, s: ApiServices, data: OpsData): void {
  const auth = authenticate(s);

  app.get('/api/schedules', noteAction('schedules.view'), auth, async (c) => {
    const envs = viewer(c);
    const jobs = data.schedules().filter((j) => envs === undefined || (j.env !== undefined && envs.has(j.env)));
    return c.json({ jobs });
  });

  app.get('/api/envs/:env/backups', noteAction('backups.view'), auth, async (c) => {
    const env = nameParam(c, 'env');
    note(c, { env });
    const info = await s.ops.environment(env);
    if (!info) throw new ApiError(404, `no environment ${env}`, 'GET /api/fleet lists the environments');
    const d = authorize(principalOf(c), 'view', env, info);
    if (!d.ok) throw new ApiError(403, d.reason, d.hint);
    return c.json(await data.backups(env));
  });

  app.get('/api/certs', noteAction('certs.view'), auth, async (c) => {
    const envs = viewer(c);
    const certs = await data.certs();
    return c.json({ certs: envs === undefined ? certs : certs.filter((r) => !isServerError(r) && r.env !== undefined && envs.has(r.env)) });
  });

  app.get('/api/locks', noteAction('locks.view'), auth, async (c) => {
    const envs = viewer(c);
    const locks = await data.locks();
    return c.json({ locks: envs === undefined ? locks : locks.filter((r) => !isServerError(r) && envs.has(r.env)) });
  });
}

/** Refuses callers without the view right; the environments a limited token may see (undefined: all). */
function viewer(c: ApiContext): ReadonlySet<string> | undefined {
  const p = principalOf(c);
  const d = authorize(p, 'view');
  if (!d.ok) throw new ApiError(403, d.reason, d.hint);
  return p.envs ? new Set(p.envs) : undefined;
}
