// mountWeb: the dashboard's GET routes on the control plane's app. Each page asks the HTTP API for
// its data in process (`app.request('/api/…')` with the visitor's cookie), so the dashboard sees
// exactly what the typed API gives a browser, with the same authentication, roles and audit; a
// route another part serves (jobs, releases, servers, schedules…) that is not running answers 404
// and its section says "not available" instead of breaking the page. No session sends the visitor
// to /login. Assets are served under content-hashed names with a long cache; every page carries a
// strict CSP. Live things (a job's steps, logs) stream to the browser from the API directly.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiEnv } from '../server/api-context.ts';
import { SESSION_COOKIE } from '../server/auth/sessions.ts';
import { JOB_ID } from '../server/jobs/jobs.ts';
import { isName } from '../server/names.ts';
import { type WebAssets, webAssets } from './assets/assets.ts';
import { pageHeaders } from './csp.ts';
import { auditPage } from './pages/audit-page.ts';
import { backupsPage } from './pages/backups-page.ts';
import { environmentPage } from './pages/environment-page.ts';
import { fleetPage } from './pages/fleet-page.ts';
import { jobPage, jobsPage } from './pages/jobs-page.ts';
import { type Html, messagePage } from './pages/layout.ts';
import { loginPage } from './pages/login-page.ts';
import { alertsPage, certsPage, locksPage, schedulesPage } from './pages/ops-pages.ts';
import { webhooksPage } from './pages/webhooks-page.ts';
import type {
  AlertView,
  Answer,
  AuditView,
  CertView,
  Delivery,
  EnvBackupsView,
  FleetPageData,
  JobSummary,
  JobView,
  Listed,
  LockView,
  MeView,
  Refusal,
  ReleaseView,
  ScheduleView,
  ServerView,
} from './view-types.ts';

/** What the dashboard needs besides the app: the clock (ages on the pages), and how long a page waits for a side section. */
export interface WebDeps {
  now: () => number;
  /** A page's side sections (server figures, alerts, releases, backup lists) that take longer show "not available" (default 10 s). */
  sectionTimeoutMs?: number;
}

export const DEFAULT_SECTION_TIMEOUT_MS = 10_000;

type WebContext = Context<ApiEnv>;

const YEAR_S = 365 * 24 * 3600;

export function mountWeb(app: Hono<ApiEnv>, deps: WebDeps): WebAssets {
  const assets = webAssets();
  const headers = pageHeaders();

  /** GET an API route in process as the visitor (their cookie, their socket for the audit's IP). */
  async function api<T>(c: WebContext, path: string): Promise<Answer<T>> {
    const cookie = c.req.header('cookie');
    const res = await app.request(path, { headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } }, c.env);
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.ok) return { ok: true, data: body as T };
    return { ok: false, status: res.status, error: String(body.error ?? `HTTP ${res.status}`), hint: String(body.hint ?? '') };
  }

  /** A side section's data: the answer, or a 504 refusal when it takes longer than the page waits (the request runs on). */
  async function side<T>(c: WebContext, path: string): Promise<Answer<T>> {
    const ms = deps.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<Refusal>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, status: 504, error: `no answer within ${Math.round(ms / 1000)} s`, hint: 'reload the page' }), ms);
    });
    const answer = api<T>(c, path);
    answer.catch(() => undefined);
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET /api/me, skipped without a session cookie (an anonymous visit is not a refused API action to audit). */
  async function whoAmI(c: WebContext): Promise<Answer<MeView>> {
    if (getCookie(c, SESSION_COOKIE) === undefined) return { ok: false, status: 401, error: 'not logged in', hint: 'log in' };
    return api<MeView>(c, '/api/me');
  }

  /** The visitor, or a redirect to the login page (an error page for other failures). */
  async function visitor(c: WebContext): Promise<MeView | Response> {
    const me = await whoAmI(c);
    if (me.ok) return me.data;
    return failed(c, me);
  }

  function failed(c: WebContext, a: Refusal, me?: MeView): Response | Promise<Response> {
    if (a.status === 401) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    return c.html(
      render(messagePage({ title: a.status === 403 ? 'Not allowed' : 'Something went wrong', assets, ...(me ? { me } : {}) }, a.error, a.hint)),
      a.status as ContentfulStatusCode,
    );
  }

  /** A page for a logged-in visitor: `build` gets the visitor and returns the page, or a refusal to show. */
  function page(path: string, build: (c: WebContext, me: MeView) => Promise<Html | Refusal>) {
    app.get(path, headers, async (c) => {
      const me = await visitor(c);
      if (me instanceof Response) return me;
      const out = await build(c, me);
      if (isRefusal(out)) return failed(c, out, me);
      return c.html(render(out));
    });
  }

  app.get('/assets/:file', (c) => {
    const asset = [assets.css, assets.js].find((a) => a.path === c.req.path);
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { 'Content-Type': asset.contentType, 'Cache-Control': `public, max-age=${YEAR_S}, immutable` });
  });

  app.get('/login', headers, async (c) => {
    const me = await whoAmI(c);
    const next = localPath(c.req.query('next'));
    if (me.ok) return c.redirect(next, 303);
    return c.html(render(loginPage(assets, next)));
  });

  page('/', async (c, me) => {
    const [fleet, servers, alerts] = await Promise.all([
      api<FleetPageData>(c, '/api/fleet'),
      side<{ servers?: ServerView[] }>(c, '/api/servers'),
      side<{ alerts?: AlertView[] }>(c, '/api/alerts'),
    ]);
    if (!fleet.ok) return fleet;
    return fleetPage({ assets, me }, fleet.data, { servers, alerts });
  });

  page('/envs/:env', async (c, me) => {
    const name = c.req.param('env') ?? '';
    const fleet = await api<FleetPageData>(c, '/api/fleet');
    if (!fleet.ok) return fleet;
    const env = isName(name) ? fleet.data.environments.find((e) => e.name === name) : undefined;
    if (!env) return { ok: false, status: 404, error: `no environment ${name}`, hint: 'the fleet page lists the environments you may see' };
    const [jobs, ...releases] = await Promise.all([
      side<{ jobs?: JobSummary[] }>(c, '/api/jobs'),
      ...env.apps.map((a) => side<{ releases?: ReleaseView[] }>(c, `/api/envs/${env.name}/releases?app=${encodeURIComponent(a)}`)),
    ]);
    return environmentPage(
      { assets, me },
      {
        env,
        processes: fleet.data.processes.filter((p) => p.env === env.name),
        releases: Object.fromEntries(env.apps.map((a, i) => [a, releases[i]!])),
        jobs: jobs!,
        now: deps.now(),
      },
    );
  });

  page('/backups', async (c, me) => {
    const fleet = await api<FleetPageData>(c, '/api/fleet');
    if (!fleet.ok) return fleet;
    const envs = fleet.data.environments;
    const lists = await Promise.all(envs.map((e) => side<EnvBackupsView>(c, `/api/envs/${e.name}/backups`)));
    return backupsPage(
      { assets, me },
      { envs, summaries: fleet.data.backups, lists: Object.fromEntries(envs.map((e, i) => [e.name, lists[i]!])), now: deps.now() },
    );
  });

  page('/jobs', async (c, me) => jobsPage({ assets, me }, await api<{ jobs?: JobSummary[] }>(c, '/api/jobs'), deps.now()));

  page('/jobs/:id', async (c, me) => {
    const id = c.req.param('id') ?? '';
    if (!JOB_ID.test(id)) return { ok: false, status: 404, error: 'no such job', hint: 'the jobs page lists the newest jobs' };
    const job = await api<JobView>(c, `/api/jobs/${id}`);
    if (!job.ok) return job;
    return jobPage({ assets, me }, { ...job.data, steps: job.data.steps ?? [] }, deps.now());
  });

  page('/schedules', async (c, me) => schedulesPage({ assets, me }, await api<{ jobs?: ScheduleView[] }>(c, '/api/schedules'), deps.now()));
  page('/certs', async (c, me) => certsPage({ assets, me }, await api<{ certs?: Listed<CertView>[] }>(c, '/api/certs')));
  page('/locks', async (c, me) => locksPage({ assets, me }, await api<{ locks?: Listed<LockView>[] }>(c, '/api/locks'), deps.now()));
  page('/alerts', async (c, me) => alertsPage({ assets, me }, await api<{ alerts?: AlertView[] }>(c, '/api/alerts'), deps.now()));
  page('/webhooks', async (c, me) => webhooksPage({ assets, me }, await api<{ deliveries?: Delivery[] }>(c, '/api/webhooks/deliveries'), deps.now()));

  page('/audit', async (c, me) => {
    const audit = await api<AuditView>(c, '/api/audit');
    if (!audit.ok) return audit;
    return auditPage({ assets, me }, audit.data.entries);
  });

  return assets;
}

function isRefusal(x: Html | Refusal): x is Refusal {
  return typeof x === 'object' && x !== null && 'ok' in x && (x as Refusal).ok === false;
}

/** hono/html values are String objects (or promises of them); c.html wants a string. */
async function render(page: Html): Promise<string> {
  return (await page).toString();
}

/** Where to go after logging in: a path on this site only (never `//host` or a URL). */
export function localPath(next: string | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return /^\/[A-Za-z0-9\-._~/%?=&]*$/.test(next) ? next : '/';
}
