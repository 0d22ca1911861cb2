// The fleet: GET /api/fleet (view), and the actions on it: deploy and roll back an app in an
// environment, and maintenance on/off for an environment. Each checks the names in its path,
// that the environment (and app) exist, and that the caller may act there, then calls the ops
// port with the caller's name.
import type { Hono } from 'hono';
import { z } from 'zod';
import { type ApiContext, type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { type Action, authorize, principalLabel } from '../auth/authorize.ts';
import { readJson } from '../body.ts';
import { ApiError } from '../errors.ts';
import { authenticate } from '../middleware/authenticate.ts';
import type { EnvInfo, FleetView } from '../ops.ts';

const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;
const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const deployBody = z
  .object({
    ref: z
      .string()
      .regex(GIT_REF, 'not a git ref')
      .refine((r) => !r.includes('..') && !r.includes('//') && !r.endsWith('/') && !r.endsWith('.lock'), 'not a git ref')
      .optional(),
    image: z.string().regex(IMAGE, 'not an image reference').optional(),
  })
  .strict()
  .refine((b) => !(b.ref !== undefined && b.image !== undefined), 'give ref or image, not both');
const rollbackBody = z.object({ release: z.string().regex(RELEASE, 'not a release id').optional() }).strict();
const maintenanceBody = z.object({ on: z.boolean() }).strict();

export function fleetRoutes(app: Hono<ApiEnv>, s: ApiServices): void {
  const auth = authenticate(s);

  app.get('/api/fleet', noteAction('fleet.view'), auth, async (c) => {
    const p = principalOf(c);
    allow(c, 'view');
    const fleet = await s.ops.fleet();
    return c.json(p.envs ? onlyEnvs(fleet, p.envs) : fleet);
  });

  app.post('/api/envs/:env/apps/:app/deploy', noteAction('deploy'), auth, async (c) => {
    const { env, app: appName } = await target(c, s, 'deploy');
    const body = await readJson(c.req.raw, deployBody, s.options.maxBodyBytes);
    const result = await s.ops.deploy(appName, env, { by: principalLabel(principalOf(c)), ...body });
    note(c, { detail: `release ${result.release}` });
    return c.json(result);
  });

  app.post('/api/envs/:env/apps/:app/rollback', noteAction('rollback'), auth, async (c) => {
    const { env, app: appName } = await target(c, s, 'rollback');
    const body = await readJson(c.req.raw, rollbackBody, s.options.maxBodyBytes);
    const result = await s.ops.rollback(appName, env, { by: principalLabel(principalOf(c)), ...body });
    note(c, { detail: `release ${result.release}` });
    return c.json(result);
  });

  app.post('/api/envs/:env/maintenance', noteAction('maintenance'), auth, async (c) => {
    const env = nameParam(c, 'env');
    note(c, { env });
    const info = await envInfo(s, env);
    allow(c, 'maintenance', env, info);
    const { on } = await readJson(c.req.raw, maintenanceBody, s.options.maxBodyBytes);
    note(c, { detail: on ? 'on' : 'off' });
    const results = await s.ops.setMaintenance(env, on, { by: principalLabel(principalOf(c)) });
    return c.json({ env, maintenance: on, results });
  });
}

/** The env and app of an app action: valid names, both exist, and the caller may `action` there. */
async function target(c: ApiContext, s: ApiServices, action: Action): Promise<{ env: string; app: string }> {
  const env = nameParam(c, 'env');
  const app = nameParam(c, 'app');
  note(c, { env, app });
  const info = await envInfo(s, env);
  if (!info.apps.includes(app)) throw new ApiError(404, `${env} has no app ${app}`, `its apps: ${info.apps.join(', ') || 'none'}`);
  allow(c, action, env, info);
  return { env, app };
}

async function envInfo(s: ApiServices, env: string): Promise<EnvInfo> {
  const info = await s.ops.environment(env);
  if (!info) throw new ApiError(404, `no environment ${env}`, 'GET /api/fleet lists the environments');
  return info;
}

function allow(c: ApiContext, action: Action, env?: string, info?: EnvInfo): void {
  const d = authorize(principalOf(c), action, env, info);
  if (!d.ok) throw new ApiError(403, d.reason, d.hint);
}

/** The fleet as a token limited to `envs` sees it. */
function onlyEnvs(fleet: FleetView, envs: readonly string[]): FleetView {
  const keep = new Set(envs);
  return {
    environments: fleet.environments.filter((e) => keep.has(e.name)),
    processes: fleet.processes.filter((p) => keep.has(p.env)),
    backups: fleet.backups.filter((b) => keep.has(b.env)),
    unreachable: fleet.unreachable,
  };
}
