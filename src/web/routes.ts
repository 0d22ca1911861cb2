// mountWeb: the dashboard's GET routes on the control plane's app. Each page asks the HTTP API for
// its data in process (`app.request('/api/…')` with the visitor's cookie), so the dashboard sees
// exactly what the typed API gives a browser, with the same authentication, roles and audit. No
// session sends the visitor to /login. Assets are served under content-hashed names with a long
// cache; every page carries a strict CSP.
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiEnv } from '../server/api-context.ts';
import { SESSION_COOKIE } from '../server/auth/sessions.ts';
import { isName } from '../server/names.ts';
import { type WebAssets, webAssets } from './assets/assets.ts';
import { pageHeaders } from './csp.ts';
import { auditPage } from './pages/audit-page.ts';
import { backupsPage } from './pages/backups-page.ts';
import { environmentPage } from './pages/environment-page.ts';
import { fleetPage } from './pages/fleet-page.ts';
import { type Html, messagePage } from './pages/layout.ts';
import { loginPage } from './pages/login-page.ts';
import type { AuditView, FleetPageData, MeView } from './view-types.ts';

/** What the dashboard needs besides the app: nothing yet (its data all comes from the API). */
export type WebDeps = Record<string, never>;

type WebContext = Context<ApiEnv>;
type Answer<T> = { ok: true; data: T } | { ok: false; status: number; error: string; hint: string };

const YEAR_S = 365 * 24 * 3600;

export function mountWeb(app: Hono<ApiEnv>, _deps: WebDeps = {}): WebAssets {
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

  /** GET /api/me, skipped without a session cookie (an anonymous visit is not a refused API action to audit). */
  async function whoAmI(c: WebContext): Promise<Answer<MeView>> {
    if (getCookie(c, SESSION_COOKIE) === undefined) return { ok: false, status: 401, error: 'not logged in', hint: 'log in' };
    return api<MeView>(c, '/api/me');
  }

  /** The visitor, or a redirect to the login page (an error page for other failures). */
  async function visitor(c: WebContext): Promise<MeView | Response> {
    const me = await whoAmI(c);
    if (me.ok) return me.data;
    if (me.status === 401) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    return failed(c, me);
  }

  function failed(c: WebContext, a: Extract<Answer<unknown>, { ok: false }>, me?: MeView): Response | Promise<Response> {
    if (a.status === 401) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    return c.html(
      render(messagePage({ title: a.status === 403 ? 'Not allowed' : 'Something went wrong', assets, ...(me ? { me } : {}) }, a.error, a.hint)),
      a.status as ContentfulStatusCode,
    );
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

  app.get('/', headers, async (c) => {
    const me = await visitor(c);
    if (me instanceof Response) return me;
    const fleet = await api<FleetPageData>(c, '/api/fleet');
    if (!fleet.ok) return failed(c, fleet, me);
    return c.html(render(fleetPage({ assets, me }, fleet.data)));
  });

  app.get('/envs/:env', headers, async (c) => {
    const me = await visitor(c);
    if (me instanceof Response) return me;
    const name = c.req.param('env');
    const fleet = await api<FleetPageData>(c, '/api/fleet');
    if (!fleet.ok) return failed(c, fleet, me);
    const env = isName(name) ? fleet.data.environments.find((e) => e.name === name) : undefined;
    if (!env) return failed(c, { ok: false, status: 404, error: `no environment ${name}`, hint: 'the fleet page lists the environments you may see' }, me);
    return c.html(
      render(
        environmentPage(
          { assets, me },
          env,
          fleet.data.processes.filter((p) => p.env === env.name),
        ),
      ),
    );
  });

  app.get('/backups', headers, async (c) => {
    const me = await visitor(c);
    if (me instanceof Response) return me;
    const fleet = await api<FleetPageData>(c, '/api/fleet');
    if (!fleet.ok) return failed(c, fleet, me);
    return c.html(render(backupsPage({ assets, me }, fleet.data.backups, fleet.data.environments)));
  });

  app.get('/audit', headers, async (c) => {
    const me = await visitor(c);
    if (me instanceof Response) return me;
    const audit = await api<AuditView>(c, '/api/audit');
    if (!audit.ok) return failed(c, audit, me);
    return c.html(render(auditPage({ assets, me }, audit.data.entries)));
  });

  return assets;
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
