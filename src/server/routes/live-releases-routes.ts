// GET /api/envs/ENV/releases?app=APP: the app's releases in ENV as the server's history records
// them (newest first), each with what changed against the one before: image, git range (the
// commits, at most 50), and no fleet diff (releases do not record the desired state). Viewer role.
import type { Hono } from 'hono';
import { type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { authorize } from '../auth/authorize.ts';
import { ApiError } from '../errors.ts';
import type { LivePort } from '../live/live-port.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { isName } from '../names.ts';

export function liveReleasesRoutes(app: Hono<ApiEnv>, s: ApiServices, d: { port: LivePort }): void {
  const auth = authenticate(s);

  app.get('/api/envs/:env/releases', noteAction('releases.view'), auth, async (c) => {
    const env = nameParam(c, 'env');
    const appName = c.req.query('app');
    note(c, { env, ...(appName && isName(appName) ? { app: appName } : {}) });
    if (appName === undefined) throw new ApiError(400, 'which app?', `GET /api/envs/${env}/releases?app=APP`);
    if (!isName(appName)) throw new ApiError(400, 'invalid app name', 'names are lower-case letters, digits and dashes, at most 63 characters');
    const info = await s.ops.environment(env);
    if (!info) throw new ApiError(404, `no environment ${env}`, 'GET /api/fleet lists the environments');
    if (!info.apps.includes(appName)) throw new ApiError(404, `${env} has no app ${appName}`, `its apps: ${info.apps.join(', ') || 'none'}`);
    const decision = authorize(principalOf(c), 'view', env, info);
    if (!decision.ok) throw new ApiError(403, decision.reason, decision.hint);
    return c.json({ releases: await d.port.releases({ app: appName, env }) });
  });
}
