// The live part's routes: background jobs (POST /api/jobs starts a deploy, a rollback or a backup
// verification through the CLI's workflows and answers 202 at once; GET /api/jobs, GET
// /api/jobs/ID; GET /api/jobs/ID/events streams its steps as server-sent events), then the live
// logs and the release history (live-logs-routes.ts, live-releases-routes.ts). Authorization is
// the synchronous routes' (fleet-routes.ts): the role, a token's environments, a protected
// environment's admins-only deploys; backup verification needs the deployer role. Each start is
// audited when asked (by the audit middleware) and again when the job ends, with its outcome.
import type { Hono } from 'hono';
import { z } from 'zod';
import { isBackupId } from '../../backup/layout.ts';
import { type ApiContext, type ApiEnv, type ApiServices, note, noteAction, principalOf } from '../api-context.ts';
import { type Action, authorize, type Principal, principalLabel } from '../auth/authorize.ts';
import { readJson } from '../body.ts';
import { ApiError } from '../errors.ts';
import type { Job, JobAction, JobDone } from '../jobs/job.ts';
import { JOB_ID, type Jobs } from '../jobs/jobs.ts';
import type { LivePort } from '../live/live-port.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { isName } from '../names.ts';
import type { EnvInfo } from '../ops.ts';
import { liveLogsRoutes } from './live-logs-routes.ts';
import { liveReleasesRoutes } from './live-releases-routes.ts';
import { type LiveStreams, sseResponse } from './live-sse.ts';

export interface LiveRoutesDeps {
  port: LivePort;
  jobs: Jobs;
  streams: LiveStreams;
  /** Keep-alive comment interval of the event streams (default 15 s). */
  heartbeatMs?: number;
}

// As the synchronous routes accept them (fleet-routes.ts).
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;
const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const name = (what: string) => z.string().refine(isName, `not a valid ${what} name`);
const ref = z
  .string()
  .regex(GIT_REF, 'not a git ref')
  .refine((r) => !r.includes('..') && !r.includes('//') && !r.endsWith('/') && !r.endsWith('.lock'), 'not a git ref');

const jobBody = z
  .discriminatedUnion('action', [
    z
      .object({
        action: z.literal('deploy'),
        env: name('environment'),
        app: name('app'),
        ref: ref.optional(),
        image: z.string().regex(IMAGE, 'not an image reference').optional(),
      })
      .strict(),
    z
      .object({ action: z.literal('rollback'), env: name('environment'), app: name('app'), release: z.string().regex(RELEASE, 'not a release id').optional() })
      .strict(),
    z.object({ action: z.literal('backup-verify'), env: name('environment'), backup: z.string().refine(isBackupId, 'not a backup id').optional() }).strict(),
  ])
  .refine((b) => !(b.action === 'deploy' && b.ref !== undefined && b.image !== undefined), 'give ref or image, not both');
type JobBody = z.infer<typeof jobBody>;

const RIGHT: Record<JobAction, Action> = { deploy: 'deploy', rollback: 'rollback', 'backup-verify': 'backup' };

export function liveRoutes(app: Hono<ApiEnv>, s: ApiServices, d: LiveRoutesDeps): void {
  const auth = authenticate(s);
  const sse = { streams: d.streams, heartbeatMs: d.heartbeatMs ?? 15_000, log: s.log };

  app.post('/api/jobs', noteAction('job'), auth, async (c) => {
    const body = await readJson(c.req.raw, jobBody, s.options.maxBodyBytes);
    const appName = 'app' in body ? body.app : undefined;
    note(c, { action: body.action, env: body.env, ...(appName ? { app: appName } : {}) });
    const info = await s.ops.environment(body.env);
    if (!info) throw new ApiError(404, `no environment ${body.env}`, 'GET /api/fleet lists the environments');
    if (appName !== undefined && !info.apps.includes(appName))
      throw new ApiError(404, `${body.env} has no app ${appName}`, `its apps: ${info.apps.join(', ') || 'none'}`);
    allow(c, RIGHT[body.action], body.env, info);
    const busy = d.jobs.runningIn(body.env);
    if (busy)
      throw new ApiError(
        409,
        `${body.env} has a job running: ${busy.init.action} ${busy.id} by ${busy.init.by}`,
        `wait for it to end: GET /api/jobs/${busy.id}/events`,
      );
    const by = principalLabel(principalOf(c));
    const ip = s.clientIp(c);
    const job = d.jobs.start(
      { action: body.action, env: body.env, ...(appName ? { app: appName } : {}), by },
      work(d.port, body, by),
      (j, done) =>
        void s.ops.audit(endEntry(s, j, done, ip)).catch((e: unknown) => s.log(`audit: could not record the end of job ${j.id}: ${(e as Error)?.message}`)),
    );
    note(c, { detail: `job ${job.id}` });
    return c.json({ ...job.summary() }, 202);
  });

  app.get('/api/jobs', noteAction('jobs.view'), auth, async (c) => {
    const p = principalOf(c);
    allow(c, 'view');
    return c.json({
      jobs: d.jobs
        .list()
        .filter((j) => visible(p, j))
        .map((j) => j.summary()),
    });
  });

  app.get('/api/jobs/:id', noteAction('job.view'), auth, async (c) => {
    const job = jobOf(c, d.jobs);
    return c.json(job.view());
  });

  app.get('/api/jobs/:id/events', noteAction('job.events'), auth, async (c) => {
    const job = jobOf(c, d.jobs);
    return sseResponse(
      c,
      sse,
      (sink, signal) =>
        new Promise<void>((resolve) => {
          let unsubscribe = () => {};
          const end = () => {
            unsubscribe();
            signal.removeEventListener('abort', end);
            resolve();
          };
          const sub = job.subscribe((e) => {
            if (e.type === 'step') sink.send('step', e.step);
            else {
              sink.send('done', e.done);
              end();
            }
          });
          unsubscribe = sub.unsubscribe;
          for (const step of sub.steps) sink.send('step', step);
          if (sub.done) {
            sink.send('done', sub.done);
            end();
            return;
          }
          signal.addEventListener('abort', end, { once: true });
          if (signal.aborted) end();
        }),
    );
  });

  liveLogsRoutes(app, s, { port: d.port, sse });
  liveReleasesRoutes(app, s, { port: d.port });
}

function work(port: LivePort, body: JobBody, by: string) {
  return (out: { write(text: string): void }, signal: AbortSignal): Promise<unknown> => {
    switch (body.action) {
      case 'deploy':
        return port.deploy({ app: body.app, env: body.env, by, ...(body.ref ? { ref: body.ref } : {}), ...(body.image ? { image: body.image } : {}) }, out);
      case 'rollback':
        return port.rollback({ app: body.app, env: body.env, by, ...(body.release ? { release: body.release } : {}) }, out);
      case 'backup-verify':
        return port.backupVerify({ env: body.env, by, ...(body.backup ? { backup: body.backup } : {}) }, out, signal);
    }
  };
}

/** The audit entry of a job's end: what the synchronous route would have answered. */
function endEntry(s: ApiServices, j: Job, done: JobDone, ip: string) {
  const release = (done.result as { release?: unknown } | undefined)?.release;
  const detail = done.status === 'ok' ? `job ${j.id}${typeof release === 'string' ? `: release ${release}` : ''}` : `job ${j.id}: ${done.error ?? 'failed'}`;
  return {
    at: new Date(s.now()).toISOString(),
    by: j.init.by,
    action: j.init.action,
    env: j.init.env,
    ...(j.init.app ? { app: j.init.app } : {}),
    outcome: done.status === 'ok' ? ('ok' as const) : ('failed' as const),
    status: done.status === 'ok' ? 200 : 422,
    detail: detail.length > 200 ? `${detail.slice(0, 200)}…` : detail,
    ip,
  };
}

/** The job named in the path, if the caller may see it (a token limited to other environments gets 404, as for a job that does not exist). */
function jobOf(c: ApiContext, jobs: Jobs): Job {
  const id = c.req.param('id') ?? '';
  const p = principalOf(c);
  const job = JOB_ID.test(id) ? jobs.get(id) : undefined;
  if (!job || !visible(p, job)) throw new ApiError(404, `no job ${JOB_ID.test(id) ? id : '(invalid id)'}`, 'GET /api/jobs lists the last 50 jobs');
  note(c, { env: job.init.env, ...(job.init.app ? { app: job.init.app } : {}) });
  allow(c, 'view', job.init.env);
  return job;
}

function visible(p: Principal, j: Job): boolean {
  return authorize(p, 'view', j.init.env).ok;
}

function allow(c: ApiContext, action: Action, env?: string, info?: EnvInfo): void {
  const decision = authorize(principalOf(c), action, env, info);
  if (!decision.ok) throw new ApiError(403, decision.reason, decision.hint);
}
