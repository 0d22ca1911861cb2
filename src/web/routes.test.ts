import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ControlPlaneApp } from '../server/app.ts';
import { Users } from '../server/auth/users.ts';
import { FakeOps } from '../server/fake-ops.ts';
import { FakeLivePort } from '../server/live/fake-live-port.ts';
import type { OpsData } from '../server/ops-data/ops-data.ts';
import { type LivePart, livePart } from '../server/parts/live-part.ts';
import { opsDataRoutes } from '../server/routes/ops-data-routes.ts';
import type { ServePart } from '../server/serve-part.ts';
import type { FleetView } from '../server/ops.ts';
import { FileStore } from '../server/store/file-store.ts';
import type { WebAssets } from './assets/assets.ts';
import { CONTENT_SECURITY_POLICY } from './csp.ts';
import { localPath, mountWeb } from './routes.ts';

const PASSWORD = 'correct horse battery';
const EVIL = '<script>alert(1)</script>';
const GiB = 1024 ** 3;

/** The fake, plus what the real ops will report: a hostile release name, backups. */
class DashboardOps extends FakeOps {
  override async fleet(): Promise<FleetView> {
    const base = await super.fleet();
    const processes = base.processes.map((p) => (p.env === 'staging' && p.app === 'api' ? { ...p, release: EVIL, health: 'unhealthy' as const } : p));
    const data: FleetView = {
      ...base,
      processes,
      backups: [
        {
          env: 'prod',
          server: 's1',
          policy: true,
          lastOk: { id: 'b-20250101', at: '2025-01-01T00:00:00Z', ageS: 7200 },
          lastVerification: { id: 'b-20250101', at: '2025-01-01T01:00:00Z', ageS: 3600, result: 'failed' },
        },
        { env: 'staging', server: 's1', policy: false, lastOk: null, lastVerification: null },
      ],
    };
    return data;
  }
}

const NOW = Date.UTC(2025, 0, 1, 2);

/** The metrics part's read routes as the contract gives them (one server unreachable), with a hostile title. */
const metricsStandIn: ServePart = {
  name: 'metrics-stand-in',
  routes: (app) => {
    app.get('/api/servers', (c) =>
      c.json({
        servers: [
          {
            name: 's1',
            ok: true,
            memory: { usedBytes: 3 * GiB, totalBytes: 4 * GiB },
            disk: { usedBytes: 20 * GiB, totalBytes: 80 * GiB },
            load1: 0.42,
            cpus: 2,
          },
          { name: 's2', ok: false, error: 'connection refused' },
        ],
      }),
    );
    app.get('/api/alerts', (c) =>
      c.json({
        alerts: [{ key: 'k', rule: 'memory', severity: 'critical', title: EVIL, detail: 'memory 91%', since: '2025-01-01T01:55:00Z', status: 'firing' }],
      }),
    );
  },
};

const opsData: OpsData = {
  schedules: () => [
    {
      id: 'backup:prod',
      kind: 'backup',
      env: 'prod',
      cron: '0 3 * * *',
      next: ['2025-01-01T03:00:00.000Z', '2025-01-02T03:00:00.000Z', '2025-01-03T03:00:00.000Z'],
      lastRun: { at: '2025-01-01T00:00:00Z', outcome: 'ok', durationMs: 4200, trigger: 'schedule' },
      running: false,
    },
  ],
  backups: async (env) =>
    env === 'prod'
      ? {
          backups: [
            {
              id: 'b-20250101',
              at: '2025-01-01T00:00:00Z',
              ageS: 7200,
              sizeBytes: 1536 * 1024 * 1024,
              status: 'ok',
              complete: ['local'],
              verifiedAt: '2025-01-01T01:00:00Z',
              verifyOk: false,
              verifyDetail: 'table users: 3 rows, expected 4',
            },
          ],
          errors: [],
        }
      : { backups: [], errors: [] },
  certs: async () => [
    {
      server: 's1',
      domain: 'web.example.com',
      domains: ['web.example.com'],
      env: 'prod',
      issuer: 'R11',
      notAfter: '2025-01-10T00:00:00Z',
      daysLeft: 9,
      source: 'slipway acme',
    },
    { server: 's2', error: 'connection refused' },
  ],
  locks: async () => [
    { server: 's1', env: 'staging', holder: 'alice', command: 'deploy web staging', since: '2025-01-01T01:59:00Z', host: 'laptop', pid: 42, stale: false },
  ],
};

const opsDataPart: ServePart = { name: 'ops-data', routes: (app, s) => opsDataRoutes(app, s, opsData) };

let dir: string;
let app: ControlPlaneApp;
let ops: DashboardOps;
let assets: WebAssets;
let port: FakeLivePort;
let live: LivePart;
/** The same API with no part but the dashboard. */
let bare: ControlPlaneApp;
const cookies: Record<string, string> = {};
const env = { incoming: { socket: { remoteAddress: '10.0.0.9' } } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-web-'));
  const store = new FileStore(dir, { fsync: false });
  const users = new Users(store, { cost: 4, now: () => Date.UTC(2025, 0, 1) });
  for (const [name, role] of [
    ['root', 'admin'],
    ['alice', 'deployer'],
    ['vic', 'viewer'],
  ] as const)
    await users.createUser({ name, role, password: PASSWORD });
  ops = new DashboardOps([
    { name: 'staging', protected: false, apps: ['web', 'api'] },
    { name: 'prod', protected: true, apps: ['web', 'api'] },
  ]);
  port = new FakeLivePort();
  live = livePart(port, { now: () => NOW });
  app = createApp({ store, now: () => NOW, ops, parts: [live, metricsStandIn, opsDataPart], options: { secureCookies: true, bcryptCost: 4 } });
  assets = mountWeb(app, { now: () => NOW });
  bare = createApp({ store, now: () => NOW, ops, options: { secureCookies: true, bcryptCost: 4 } });
  mountWeb(bare, { now: () => NOW });
  for (const user of ['root', 'alice', 'vic']) {
    const res = await app.request(
      '/api/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: PASSWORD }) },
      env,
    );
    expect(res.status).toBe(200);
    cookies[user] = res.headers.get('set-cookie')!.split(';')[0]!;
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csrf(user: string): Promise<string> {
  const res = await app.request('/api/me', { headers: { cookie: cookies[user]! } }, env);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

async function page(path: string, user?: string): Promise<{ res: Response; text: string }> {
  const res = await app.request(path, { headers: user ? { cookie: cookies[user]! } : {} }, env);
  return { res, text: await res.text() };
}

describe('dashboard pages', () => {
  it('redirects to /login without a session, keeping where the visitor was going', async () => {
    const audited = ops.entries.length;
    for (const path of ['/', '/envs/prod', '/backups', '/jobs', '/schedules', '/certs', '/locks', '/alerts', '/webhooks', '/audit', '/login']) {
      if (path === '/login') {
        expect((await page(path)).res.status).toBe(200);
        continue;
      }
      const { res } = await page(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    // Anonymous visits are not refused API actions: nothing is audited for them.
    expect(ops.entries.length).toBe(audited);
    // An ended session is sent to /login too (that refusal is audited, as any refused API call).
    const res = await app.request('/', { headers: { cookie: 'slipway_session=ended' } }, env);
    expect(res.status).toBe(303);
    expect(ops.entries.at(-1)).toMatchObject({ action: 'me', outcome: 'refused', status: 401 });
  });

  it('renders the login page with a posting form and labelled fields, and skips it when logged in', async () => {
    const { res, text } = await page('/login?next=/backups');
    expect(res.status).toBe(200);
    expect(text).toContain('data-api="/api/login"');
    expect(text).toContain('method="post"');
    expect(text).toContain('data-next="/backups"');
    expect(text).toMatch(/<label for="password">Password<input id="password" name="password" type="password"/);
    const again = await page('/login?next=/backups', 'alice');
    expect(again.res.status).toBe(303);
    expect(again.res.headers.get('location')).toBe('/backups');
  });

  it('keeps the login redirect on this site', () => {
    expect(localPath('/envs/prod')).toBe('/envs/prod');
    expect(localPath('//evil.example')).toBe('/');
    expect(localPath('https://evil.example')).toBe('/');
    expect(localPath('/\\evil.example')).toBe('/');
    expect(localPath(undefined)).toBe('/');
  });

  it('shows the fleet: servers with memory, disk and CPU, environments, processes with health, release and memory', async () => {
    const { res, text } = await page('/', 'vic');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(text).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(text).toContain('<main id="main"');
    expect(text).toMatch(/<h3>s1 <span class="tag ok">up<\/span><\/h3>[\s\S]*3 GiB \/ 4 GiB \(75%\)[\s\S]*20 GiB \/ 80 GiB \(25%\)[\s\S]*load 0\.42 on 2 CPUs/);
    expect(text).toMatch(/<h3>s2 <span class="tag bad">unreachable<\/span><\/h3>\s*<p class="bad">connection refused<\/p>/);
    expect(text).toContain('<a href="/envs/staging">staging</a>');
    expect(text).toContain('<a href="/envs/prod">prod</a> <span class="tag warn">protected</span>');
    // 2 envs × 2 apps, one row each, with health, release, uptime and memory against limit.
    expect(text.match(/<tr>\s*<td>(web|api)<\/td>/g)).toHaveLength(4);
    expect(text).toContain('<span class="tag unhealthy">unhealthy</span>');
    expect(text).toMatch(/<td>r1<\/td>\s*<td>1m<\/td>\s*<td><meter min="0" max="2"/);
    // The firing alert, escaped.
    expect(text).toContain('<strong>1 alert firing:</strong> &lt;script&gt;');
    // A viewer sees no audit link (admins only).
    expect(text).not.toContain('href="/audit"');
  });

  it('renders every page when the other parts are not running, saying what is not available', async () => {
    for (const [path, what] of [
      ['/', 'Server memory, disk and CPU: not available.'],
      ['/envs/staging', 'Releases of web: not available.'],
      ['/jobs', 'Jobs: not available.'],
      ['/backups', 'Backups of prod: not available.'],
      ['/schedules', 'Schedules: not available.'],
      ['/certs', 'Certificates: not available.'],
      ['/locks', 'Locks: not available.'],
      ['/alerts', 'Alerts: not available.'],
      ['/webhooks', 'Webhook deliveries: not available.'],
    ] as const) {
      const res = await bare.request(path, { headers: { cookie: cookies.root! } }, env);
      const text = await res.text();
      expect(res.status, path).toBe(200);
      expect(text, path).toContain(`<strong>${what}</strong> <span class="muted">this control plane does not serve it (its part is not running)</span>`);
    }
    // The fleet still lists the servers it knows from the processes.
    expect(await (await bare.request('/', { headers: { cookie: cookies.root! } }, env)).text()).toContain('<li>s1</li>');
  });

  it('escapes what the API says: a <script> release name renders as text', async () => {
    const { text } = await page('/', 'root');
    expect(text).not.toContain(EVIL);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const envPage = await page('/envs/staging', 'root');
    expect(envPage.text).not.toContain(EVIL);
    expect(envPage.text).toContain('Release: &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sets a strict CSP and no-store on pages, and no inline script or style', async () => {
    for (const path of ['/', '/envs/prod', '/backups', '/jobs', '/schedules', '/certs', '/locks', '/alerts', '/webhooks', '/audit', '/login']) {
      const { res, text } = await page(path, 'root');
      if (path === '/login') expect(res.status).toBe(303);
      else expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('serves the assets under hashed names with a long cache, and nothing else under /assets', async () => {
    const { text } = await page('/', 'vic');
    for (const a of [assets.css, assets.js]) {
      expect(a.path).toMatch(/^\/assets\/app\.[0-9a-f]{12}\.(css|js)$/);
      expect(text).toContain(a.path);
      const res = await app.request(a.path);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(a.body);
    }
    expect(assets.css.path).not.toBe(assets.js.path);
    expect((await app.request('/assets/app.css')).status).toBe(404);
    expect((await app.request('/assets/..%2Fapp.ts')).status).toBe(404);
  });

  it('gives a deployer deploy, rollback and maintenance forms on staging, each deploy and rollback a job', async () => {
    const { res, text } = await page('/envs/staging', 'alice');
    expect(res.status).toBe(200);
    for (const a of ['web', 'api']) {
      expect(text).toContain(`<form class="stack" data-api="/api/jobs" data-job method="post" action="/api/jobs" aria-label="Deploy ${a}">`);
      expect(text).toContain(
        `<input type="hidden" name="action" value="deploy"><input type="hidden" name="env" value="staging"><input type="hidden" name="app" value="${a}">`,
      );
      expect(text).toContain(`<label for="app-${a}-ref">`);
      expect(text).toMatch(new RegExp(`aria-label="Roll back ${a}" data-confirm="Roll ${a} in staging back to its previous release\\?"`));
    }
    expect(text).toContain('<ol class="steps" hidden aria-label="Steps of Deploy web"></ol>');
    expect(text).toContain('data-api="/api/envs/staging/maintenance" data-bools="on"');
    expect(text).toContain('name="on" value="true"');
    expect(text).toContain('data-logs="/api/envs/staging/apps/"');
    expect(text).toContain('<option value="web/web">web/web</option>');
    expect(text).toMatch(/<label for="logs-q">Search<input id="logs-q" name="q" type="search"/);
  });

  it('hides deploy and rollback on a protected env from a deployer, with the reason; a viewer gets no forms', async () => {
    const prod = await page('/envs/prod', 'alice');
    expect(prod.text).not.toContain('name="action" value="deploy"');
    expect(prod.text).not.toContain('name="action" value="rollback"');
    expect(prod.text).toContain('prod is protected: only admins may deploy it');
    expect(prod.text).toContain('/api/envs/prod/maintenance');
    const viewer = await page('/envs/staging', 'vic');
    expect(viewer.text).not.toContain('data-api="/api/jobs"');
    expect(viewer.text).not.toContain('/maintenance"');
    expect(viewer.text).toContain('data-logs="/api/envs/staging/apps/"');
    const admin = await page('/envs/prod', 'root');
    expect(admin.text).toContain('<input type="hidden" name="action" value="deploy"><input type="hidden" name="env" value="prod">');
  });

  it('lists releases with what changed (image, git range with commits, fleet) and a rollback to each earlier one', async () => {
    port.releaseList = [
      {
        app: 'web',
        id: 'r3',
        image: 'acme/web:r3',
        ref: 'develop',
        sha: 'c'.repeat(40),
        at: '2025-01-01T01:00:00Z',
        by: 'alice',
        status: 'live',
        current: true,
        changes: {
          image: { from: 'acme/web:r2', to: 'acme/web:r3' },
          git: { from: 'b'.repeat(40), to: 'c'.repeat(40), commits: [{ sha: 'c'.repeat(40), subject: EVIL }] },
          fleet: ['memory 512MiB → 768MiB'],
        },
      },
      { app: 'web', id: 'r2', image: 'acme/web:r2', at: '2025-01-01T00:00:00Z', by: 'root', status: 'previous', current: false, changes: {} },
    ];
    const { text } = await page('/envs/staging', 'alice');
    expect(text).toMatch(
      /<td><code>r3<\/code> <span class="tag ok">current<\/span><\/td>\s*<td><time datetime="2025-01-01T01:00:00Z" title="2025-01-01T01:00:00Z">1h ago<\/time><br><span class="muted">by alice<\/span>/,
    );
    expect(text).toContain('<li>image <code>acme/web:r2</code> → <code>acme/web:r3</code></li>');
    expect(text).toContain(`<li>git <code>bbbbbbbbbbbb..cccccccccccc</code><ul class="commits"><li><code>ccccccc</code> &lt;script&gt;`);
    expect(text).toContain('<li>fleet: memory 512MiB → 768MiB</li>');
    expect(text).toContain('<input type="hidden" name="release" value="r2">');
    expect(text).not.toContain('<input type="hidden" name="release" value="r3">');
    expect(text).not.toContain(EVIL);
    port.releaseList = [];
  });

  it('shows a job with its steps, following the stream while it runs, and lists the jobs', async () => {
    const started = await app.request(
      '/api/jobs',
      {
        method: 'POST',
        headers: { cookie: cookies.alice!, 'content-type': 'application/json', 'x-csrf-token': await csrf('alice') },
        body: JSON.stringify({ action: 'deploy', env: 'staging', app: 'web', ref: 'main' }),
      },
      env,
    );
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const running = await page(`/jobs/${id}`, 'alice');
    expect(running.res.status).toBe(200);
    expect(running.text).toContain(`data-events="/api/jobs/${id}/events"`);
    expect(running.text).toContain('<li>→ build …</li><li>  ✓ build (1.0 s)</li>');
    const list = await page('/jobs', 'vic');
    expect(list.text).toContain(`<td><a href="/jobs/${id}">${id}</a></td>\n<td>deploy</td>\n<td>web in staging</td>\n<td>alice</td>`);
    port.finish({ release: 'r9' });
    await new Promise((r) => setTimeout(r, 10));
    const over = await page(`/jobs/${id}`, 'alice');
    expect(over.text).not.toContain('data-events=');
    expect(over.text).toContain('<output class="">Done: release r9</output>');
    expect((await page('/jobs/nope', 'alice')).res.status).toBe(404);
    expect((await page('/jobs/0123456789ab', 'alice')).res.status).toBe(404);
  });

  it('answers 404 for an unknown or malformed environment', async () => {
    for (const name of ['qa', 'NOPE', 'a/../prod']) {
      const { res, text } = await page(`/envs/${encodeURIComponent(name)}`, 'alice');
      expect(res.status).toBe(404);
      expect(text).toContain('no environment');
    }
  });

  it('lists backups with age, size, status, last verification and a verify-now job', async () => {
    const { res, text } = await page('/backups', 'alice');
    expect(res.status).toBe(200);
    expect(text).toMatch(/<dt>Last good backup<\/dt><dd>2h ago <span class="muted">b-20250101<\/span><\/dd>/);
    expect(text).toContain('<dt>Last verification</dt><dd><span class="tag failed">failed</span> 1h ago</dd>');
    expect(text).toMatch(
      /<td><code>b-20250101<\/code><\/td>\s*<td><time[^>]*>2h ago<\/time><\/td>\s*<td>1\.5 GiB<\/td>\s*<td><span class="tag ok">ok<\/span><\/td>\s*<td><span class="tag failed">failed<\/span> <time[^>]*>1h ago<\/time> <span class="muted">table users: 3 rows, expected 4<\/span>/,
    );
    expect(text).toContain('<input type="hidden" name="action" value="backup-verify"><input type="hidden" name="env" value="prod">');
    expect(text).toContain('staging</a> <span class="muted">(no backup policy)</span>');
    // No backup to verify on staging: no button.
    expect(text).not.toContain('<input type="hidden" name="env" value="staging">');
    const viewer = await page('/backups', 'vic');
    expect(viewer.text).not.toContain('value="backup-verify"');
  });

  it('shows schedules with next runs, certificates with days left, locks, and alerts', async () => {
    const sched = await page('/schedules', 'vic');
    expect(sched.text).toContain('<td><code>0 3 * * *</code></td>');
    expect(sched.text).toContain('<li><time datetime="2025-01-01T03:00:00.000Z">2025-01-01 03:00:00</time></li>');
    expect(sched.text).toMatch(/<span class="tag ok">ok<\/span> <time[^>]*>2h ago<\/time> <span class="muted">in 4s<\/span>/);
    const certs = await page('/certs', 'vic');
    expect(certs.text).toMatch(
      /<td>s2<\/td><td colspan="4" class="bad">connection refused<\/td>[\s\S]*web\.example\.com[\s\S]*<span class="tag warn">9<\/span>/,
    );
    const locks = await page('/locks', 'vic');
    expect(locks.text).toMatch(
      /<a href="\/envs\/staging">staging<\/a><\/td>\s*<td>s1<\/td>\s*<td>alice <span class="muted">laptop pid 42<\/span><\/td>\s*<td>deploy web staging<\/td>\s*<td><time[^>]*>1m ago/,
    );
    const alerts = await page('/alerts', 'vic');
    expect(alerts.text).toContain('<span class="tag bad">critical</span>');
    expect(alerts.text).not.toContain(EVIL);
  });

  it('shows the audit log to admins, newest first, and refuses it to others', async () => {
    await ops.audit({
      at: '2025-01-01T00:00:01.000Z',
      by: 'alice',
      action: 'deploy',
      env: 'staging',
      app: 'web',
      outcome: 'ok',
      status: 200,
      detail: 'release r2',
    });
    await ops.audit({ at: '2025-01-01T00:00:02.000Z', by: 'vic', action: 'deploy', env: 'prod', app: 'web', outcome: 'refused', status: 403, detail: EVIL });
    const { res, text } = await page('/audit', 'root');
    expect(res.status).toBe(200);
    const first = text.indexOf('2025-01-01 00:00:02');
    const second = text.indexOf('2025-01-01 00:00:01');
    expect(first).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(first);
    expect(text).toContain('<td>web in prod</td>');
    expect(text).toContain('<span class="tag refused">refused</span>');
    expect(text).not.toContain(EVIL);
    const refused = await page('/audit', 'alice');
    expect(refused.res.status).toBe(403);
    expect(refused.text).toContain('deployer and may not do admin actions');
  });

  it('renders the page when a side section is slow, saying it gave no answer in time', async () => {
    const slow = createApp({
      store: new FileStore(dir, { fsync: false }),
      now: () => NOW,
      ops,
      parts: [{ name: 'slow', routes: (a) => a.get('/api/servers', () => new Promise<Response>(() => undefined)) }],
      options: { secureCookies: true, bcryptCost: 4 },
    });
    mountWeb(slow, { now: () => NOW, sectionTimeoutMs: 50 });
    const res = await slow.request('/', { headers: { cookie: cookies.vic! } }, env);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(
      '<strong>Server memory, disk and CPU: not available.</strong> <span class="muted">no answer within 0 s (reload the page)</span>',
    );
  });

  it('prints the page weight (HTML + CSS + JS)', async () => {
    const html = (await page('/', 'root')).text;
    const bytes = (s: string) => Buffer.byteLength(s);
    const gz = async (s: string) => {
      const { gzipSync } = await import('node:zlib');
      return gzipSync(s).length;
    };
    const total = bytes(html) + bytes(assets.css.body) + bytes(assets.js.body);
    const totalGz = (await gz(html)) + (await gz(assets.css.body)) + (await gz(assets.js.body));
    console.log(
      `dashboard page weight (fleet page, 2 envs × 2 apps): HTML ${bytes(html)} B + CSS ${bytes(assets.css.body)} B + JS ${bytes(assets.js.body)} B = ${total} B (${totalGz} B gzipped)`,
    );
    expect(total).toBeGreaterThan(0);
  });
});
