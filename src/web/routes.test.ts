import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ControlPlaneApp } from '../server/app.ts';
import { Users } from '../server/auth/users.ts';
import { FakeOps } from '../server/fake-ops.ts';
import type { FleetView } from '../server/ops.ts';
import { FileStore } from '../server/store/file-store.ts';
import type { WebAssets } from './assets/assets.ts';
import { CONTENT_SECURITY_POLICY } from './csp.ts';
import { localPath, mountWeb } from './routes.ts';
import type { FleetPageData } from './view-types.ts';

const PASSWORD = 'correct horse battery';
const EVIL = '<script>alert(1)</script>';
const GiB = 1024 ** 3;

/** The fake, plus what the real ops will report: a hostile release name, servers, backups. */
class DashboardOps extends FakeOps {
  override async fleet(): Promise<FleetView> {
    const base = await super.fleet();
    const processes = base.processes.map((p) => (p.env === 'staging' && p.app === 'api' ? { ...p, release: EVIL, health: 'unhealthy' as const } : p));
    const data: FleetPageData = {
      ...base,
      processes,
      servers: [{ server: 's1', memoryUsedBytes: 3 * GiB, memoryTotalBytes: 4 * GiB, diskUsedBytes: 20 * GiB, diskTotalBytes: 80 * GiB, load1: 0.42 }],
      backups: [
        {
          env: 'prod',
          server: 's1',
          policy: true,
          lastOk: { id: 'b-20250101', at: '2025-01-01T00:00:00Z', ageS: 7200 },
          lastVerification: { id: 'b-20250101', at: '2025-01-01T01:00:00Z', ageS: 3600, result: 'failed' },
          sizeBytes: 1536 * 1024 * 1024,
        },
        { env: 'staging', server: 's1', policy: false, lastOk: null, lastVerification: null },
      ],
    };
    return data;
  }
}

let dir: string;
let app: ControlPlaneApp;
let ops: DashboardOps;
let assets: WebAssets;
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
  app = createApp({ store, now: () => Date.UTC(2025, 0, 1), ops, options: { secureCookies: true, bcryptCost: 4 } });
  assets = mountWeb(app);
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

async function page(path: string, user?: string): Promise<{ res: Response; text: string }> {
  const res = await app.request(path, { headers: user ? { cookie: cookies[user]! } : {} }, env);
  return { res, text: await res.text() };
}

describe('dashboard pages', () => {
  it('redirects to /login without a session, keeping where the visitor was going', async () => {
    const audited = ops.entries.length;
    for (const path of ['/', '/envs/prod', '/backups', '/audit', '/login']) {
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

  it('shows the fleet: servers with memory and disk, environments, processes with health, release and memory', async () => {
    const { res, text } = await page('/', 'vic');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(text).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(text).toContain('<main id="main"');
    expect(text).toMatch(/<h3>s1<\/h3>[\s\S]*3 GiB \/ 4 GiB \(75%\)[\s\S]*20 GiB \/ 80 GiB \(25%\)[\s\S]*0\.42/);
    expect(text).toContain('<a href="/envs/staging">staging</a>');
    expect(text).toContain('<a href="/envs/prod">prod</a> <span class="tag warn">protected</span>');
    // 2 envs × 2 apps, one row each, with health, release, uptime and memory against limit.
    expect(text.match(/<tr>\s*<td>(web|api)<\/td>/g)).toHaveLength(4);
    expect(text).toContain('<span class="tag unhealthy">unhealthy</span>');
    expect(text).toMatch(/<td>r1<\/td>\s*<td>1m<\/td>\s*<td><meter min="0" max="2"/);
    // A viewer sees no audit link (admins only).
    expect(text).not.toContain('href="/audit"');
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
    for (const path of ['/', '/envs/prod', '/backups', '/audit', '/login']) {
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

  it('gives a deployer deploy, rollback and maintenance forms on staging, posting to the API', async () => {
    const { res, text } = await page('/envs/staging', 'alice');
    expect(res.status).toBe(200);
    for (const a of ['web', 'api']) {
      expect(text).toContain(`data-api="/api/envs/staging/apps/${a}/deploy"`);
      expect(text).toContain(`data-api="/api/envs/staging/apps/${a}/rollback"`);
      expect(text).toContain(`<label for="app-${a}-ref">`);
    }
    expect(text).toContain('data-api="/api/envs/staging/maintenance" data-bools="on"');
    expect(text).toContain('name="on" value="true"');
  });

  it('hides deploy and rollback on a protected env from a deployer, with the reason; a viewer gets no forms', async () => {
    const prod = await page('/envs/prod', 'alice');
    expect(prod.text).not.toContain('/deploy"');
    expect(prod.text).not.toContain('/rollback"');
    expect(prod.text).toContain('prod is protected: only admins may deploy it');
    expect(prod.text).toContain('/api/envs/prod/maintenance');
    const viewer = await page('/envs/staging', 'vic');
    expect(viewer.text).not.toContain('data-api="/api/envs/');
    const admin = await page('/envs/prod', 'root');
    expect(admin.text).toContain('data-api="/api/envs/prod/apps/web/deploy"');
  });

  it('answers 404 for an unknown or malformed environment', async () => {
    for (const name of ['qa', 'NOPE', 'a/../prod']) {
      const { res, text } = await page(`/envs/${encodeURIComponent(name)}`, 'alice');
      expect(res.status).toBe(404);
      expect(text).toContain('no environment');
    }
  });

  it('lists backups with age, size, status, last verification and a verify button', async () => {
    const { res, text } = await page('/backups', 'alice');
    expect(res.status).toBe(200);
    expect(text).toMatch(
      /<a href="\/envs\/prod">prod<\/a><\/th>\s*<td>s1<\/td>\s*<td>2h ago <span class="muted">b-20250101<\/span><\/td>\s*<td>1\.5 GiB<\/td>/,
    );
    expect(text).toContain('<span class="tag failed">failed</span> 1h ago');
    expect(text).toContain('data-api="/api/envs/prod/backups/verify"');
    expect(text).toMatch(/staging<\/a> <span class="muted">\(no policy\)<\/span><\/th>[\s\S]*?<span class="bad">never<\/span>/);
    // No backup to verify on staging: no button.
    expect(text).not.toContain('/api/envs/staging/backups/verify');
    const viewer = await page('/backups', 'vic');
    expect(viewer.text).not.toContain('backups/verify');
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
