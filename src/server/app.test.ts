import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../diag/errors.ts';
import { createApp, type ControlPlaneApp } from './app.ts';
import { Users } from './auth/users.ts';
import { FakeOps } from './fake-ops.ts';
import { FileStore } from './store/file-store.ts';

const PASSWORD = 'correct horse battery';
let dir: string;
let now: number;
let ops: FakeOps;
let app: ControlPlaneApp;
let logged: string[];

const env = (ip = '10.0.0.1') => ({ incoming: { socket: { remoteAddress: ip } } });

async function setup(secureCookies = true): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'slipway-api-'));
  now = Date.UTC(2025, 0, 1);
  const store = new FileStore(dir, { fsync: false });
  const users = new Users(store, { cost: 4, now: () => now });
  await users.createUser({ name: 'root', role: 'admin', password: PASSWORD });
  await users.createUser({ name: 'alice', role: 'deployer', password: PASSWORD });
  await users.createUser({ name: 'vic', role: 'viewer', password: PASSWORD });
  ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['web', 'api'] },
    { name: 'prod', protected: true, apps: ['web', 'api'] },
  ]);
  logged = [];
  app = createApp({ store, now: () => now, ops, options: { secureCookies, bcryptCost: 4 }, log: (l) => logged.push(l) });
}

function post(path: string, body: unknown, headers: Record<string, string> = {}, ip?: string) {
  return app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }, env(ip));
}

/** Logs in; returns the headers a browser would send afterwards (cookie and CSRF token). */
async function login(user: string): Promise<{ cookie: string; csrf: string; headers: Record<string, string> }> {
  const res = await post('/api/login', { user, password: PASSWORD });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrf: csrfToken, headers: { cookie, 'x-csrf-token': csrfToken } };
}

async function createToken(body: unknown): Promise<string> {
  const { headers } = await login('root');
  const res = await post('/api/tokens', body, headers);
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

beforeEach(() => setup());
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('login and sessions', () => {
  it('logs in with the right password and sets a hardened session cookie', async () => {
    const res = await post('/api/login', { user: 'alice', password: PASSWORD });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ user: 'alice', role: 'deployer' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^slipway_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Max-Age=43200');
  });

  it('drops Secure only when told to (serve --dev on loopback)', async () => {
    await setup(false);
    const res = await post('/api/login', { user: 'alice', password: PASSWORD });
    expect(res.headers.get('set-cookie')).not.toContain('Secure');
    expect(res.headers.get('set-cookie')).toContain('HttpOnly');
  });

  it('refuses a wrong password and an unknown user alike, without a cookie', async () => {
    for (const body of [
      { user: 'alice', password: 'wrong password here' },
      { user: 'nobody', password: PASSWORD },
    ]) {
      const res = await post('/api/login', body);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.json()).toEqual({ error: 'wrong user name or password', hint: expect.any(String) });
    }
  });

  it('answers /api/health without a login, with nothing about the fleet, and does not audit it', async () => {
    const before = ops.entries.length;
    const res = await app.request('/api/health', {}, env());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(ops.entries.length).toBe(before);
  });

  it('answers /api/me with the user and the CSRF token, and forgets the session at logout', async () => {
    const { cookie, csrf, headers } = await login('alice');
    const me = await app.request('/api/me', { headers: { cookie } }, env());
    expect(await me.json()).toEqual({ kind: 'user', name: 'alice', role: 'deployer', csrfToken: csrf });
    const out = await post('/api/logout', {}, headers);
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await app.request('/api/me', { headers: { cookie } }, env())).status).toBe(401);
  });

  it('ends a session when it expires', async () => {
    const { cookie } = await login('alice');
    now += 12 * 3600_000;
    const res = await app.request('/api/me', { headers: { cookie } }, env());
    expect(res.status).toBe(401);
  });

  it('refuses requests with no credentials', async () => {
    const res = await app.request('/api/fleet', {}, env());
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'not logged in' });
  });
});

describe('CSRF', () => {
  it('refuses a cookie-authenticated change without the header, or with a wrong one', async () => {
    const { cookie, csrf } = await login('alice');
    const missing = await post('/api/envs/staging/apps/web/deploy', {}, { cookie });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: 'missing or wrong X-CSRF-Token header' });
    const wrong = await post('/api/envs/staging/apps/web/deploy', {}, { cookie, 'x-csrf-token': `${csrf.slice(1)}A` });
    expect(wrong.status).toBe(403);
    expect(ops.calls).toEqual([]);
  });

  it('does not take one session’s token for another session', async () => {
    const a = await login('alice');
    const b = await login('alice');
    const res = await post('/api/envs/staging/apps/web/deploy', {}, { cookie: a.cookie, 'x-csrf-token': b.csrf });
    expect(res.status).toBe(403);
  });

  it('lets the change through with the session’s token', async () => {
    const { headers } = await login('alice');
    const res = await post('/api/envs/staging/apps/web/deploy', { ref: 'main' }, headers);
    expect(res.status).toBe(200);
    expect(ops.calls).toEqual([{ op: 'deploy', app: 'web', env: 'staging', req: { by: 'alice', ref: 'main' } }]);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, lists it without its secret, and accepts it as a bearer without CSRF', async () => {
    const token = await createToken({ name: 'ci', role: 'deployer' });
    expect(token).toMatch(/^slp_/);
    const { cookie } = await login('root');
    const list = await app.request('/api/tokens', { headers: { cookie } }, env());
    const text = await list.text();
    expect(text).toContain('"name":"ci"');
    expect(text).not.toContain(token.slice(4));
    const res = await post('/api/envs/staging/apps/api/deploy', {}, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(ops.calls.at(-1)).toMatchObject({ op: 'deploy', req: { by: 'token ci' } });
  });

  it('refuses a staging-only token for prod (403) and accepts it for staging', async () => {
    const token = await createToken({ name: 'ci-staging', role: 'admin', envs: ['staging'] });
    const bearer = { authorization: `Bearer ${token}` };
    const prod = await post('/api/envs/prod/apps/web/deploy', {}, bearer);
    expect(prod.status).toBe(403);
    expect(await prod.json()).toMatchObject({ error: 'token ci-staging is limited to staging and may not act on prod' });
    const staging = await post('/api/envs/staging/apps/web/deploy', {}, bearer);
    expect(staging.status).toBe(200);
    expect(ops.calls.map((c) => c.env)).toEqual(['staging']);
    // It sees only its environments, and cannot mint an unlimited token.
    const fleet = (await (await app.request('/api/fleet', { headers: bearer }, env())).json()) as { environments: { name: string }[] };
    expect(fleet.environments.map((e) => e.name)).toEqual(['staging']);
    expect((await post('/api/tokens', { name: 'escalate', role: 'admin' }, bearer)).status).toBe(403);
  });

  it('refuses a deleted token, a made-up one and a malformed Authorization header', async () => {
    const token = await createToken({ name: 'ci', role: 'viewer' });
    const { cookie, headers } = await login('root');
    const { tokens } = (await (await app.request('/api/tokens', { headers: { cookie } }, env())).json()) as { tokens: { id: string }[] };
    const del = await app.request(`/api/tokens/${tokens[0]!.id}`, { method: 'DELETE', headers }, env());
    expect(del.status).toBe(200);
    for (const authorization of [`Bearer ${token}`, `Bearer slp_${'A'.repeat(43)}`, 'Basic cm9vdDpyb290', 'Bearer']) {
      const res = await app.request('/api/fleet', { headers: { authorization } }, env());
      expect(res.status).toBe(401);
    }
  });

  it('keeps token management to admins', async () => {
    const { headers } = await login('alice');
    expect((await post('/api/tokens', { name: 'mine', role: 'admin' }, headers)).status).toBe(403);
    expect((await app.request('/api/tokens', { headers }, env())).status).toBe(403);
    expect((await app.request('/api/audit', { headers }, env())).status).toBe(403);
  });
});

describe('roles', () => {
  it('refuses a viewer a deploy, a rollback and maintenance, but shows the fleet', async () => {
    const { headers } = await login('vic');
    expect((await app.request('/api/fleet', { headers }, env())).status).toBe(200);
    const res = await post('/api/envs/staging/apps/web/deploy', {}, headers);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'vic is a viewer and may not deploy' });
    expect((await post('/api/envs/staging/apps/web/rollback', {}, headers)).status).toBe(403);
    expect((await post('/api/envs/staging/maintenance', { on: true }, headers)).status).toBe(403);
    expect(ops.calls).toEqual([]);
  });

  it('refuses a deployer a protected environment; an admin may', async () => {
    const alice = await login('alice');
    const refused = await post('/api/envs/prod/apps/web/deploy', {}, alice.headers);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'prod is protected: only admins may deploy it' });
    expect((await post('/api/envs/prod/apps/web/rollback', {}, alice.headers)).status).toBe(403);
    const root = await login('root');
    expect((await post('/api/envs/prod/apps/web/deploy', { image: 'web:v1.2.0' }, root.headers)).status).toBe(200);
    expect((await post('/api/envs/prod/apps/web/rollback', { release: 'r1' }, root.headers)).status).toBe(200);
    expect(ops.calls.map((c) => c.op)).toEqual(['deploy', 'rollback']);
  });

  it('lets a deployer roll back and toggle maintenance on staging', async () => {
    const { headers } = await login('alice');
    const rb = await post('/api/envs/staging/apps/web/rollback', {}, headers);
    expect(rb.status).toBe(200);
    const m = await post('/api/envs/staging/maintenance', { on: true }, headers);
    expect(m.status).toBe(200);
    expect(await m.json()).toMatchObject({ env: 'staging', maintenance: true });
    expect(ops.calls.at(-1)).toEqual({ op: 'maintenance', env: 'staging', on: true, actor: { by: 'alice' } });
  });

  it('answers 404 for an environment or app the fleet does not have', async () => {
    const { headers } = await login('root');
    expect((await post('/api/envs/qa/apps/web/deploy', {}, headers)).status).toBe(404);
    expect((await post('/api/envs/staging/apps/worker/deploy', {}, headers)).status).toBe(404);
  });
});

describe('login rate limit', () => {
  it('answers 429 with Retry-After after 5 failures for one user from one IP, even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await post('/api/login', { user: 'alice', password: 'wrong password here' })).status).toBe(401);
    const res = await post('/api/login', { user: 'alice', password: PASSWORD });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('900');
    expect(await res.json()).toMatchObject({ error: 'too many failed logins' });
    // Another IP, or the same IP after the window, may log in.
    expect((await post('/api/login', { user: 'alice', password: PASSWORD }, {}, '10.0.0.2')).status).toBe(200);
    now += 15 * 60_000;
    expect((await post('/api/login', { user: 'alice', password: PASSWORD })).status).toBe(200);
  });

  it('answers 429 after 20 failures from one IP across user names', async () => {
    for (let i = 0; i < 20; i++) expect((await post('/api/login', { user: `u${i}`, password: 'x' })).status).toBe(401);
    expect((await post('/api/login', { user: 'root', password: PASSWORD })).status).toBe(429);
  });
});

describe('bad requests', () => {
  it('answers malformed JSON with 400, without echoing it', async () => {
    const res = await app.request(
      '/api/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"alice","password":"hunter2-secret' },
      env(),
    );
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'the body is not valid JSON', hint: expect.any(String) });
    expect(text).not.toContain('hunter2');
  });

  it('answers a body that is not JSON with 415, and unknown fields or wrong types with 400', async () => {
    const form = await app.request(
      '/api/login',
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=a&password=b' },
      env(),
    );
    expect(form.status).toBe(415);
    expect((await post('/api/login', { user: 'alice', password: PASSWORD, admin: true })).status).toBe(400);
    const { headers } = await login('root');
    expect((await post('/api/envs/staging/maintenance', { on: 'yes' }, headers)).status).toBe(400);
    expect((await post('/api/envs/staging/apps/web/deploy', { ref: 'main', image: 'x:1' }, headers)).status).toBe(400);
    expect((await post('/api/envs/staging/apps/web/deploy', { ref: '../../etc' }, headers)).status).toBe(400);
    expect(ops.calls).toEqual([]);
  });

  it('answers 413 for a declared body over the limit, and for a streamed one that declares none', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const declared = await app.request(
      '/api/login',
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length) }, body: big },
      env(),
    );
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 17; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        controller.close();
      },
    });
    const streamed = await app.request(
      '/api/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit,
      env(),
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: 'the body is larger than 1048576 bytes', hint: 'send a smaller body' });
  });

  it('refuses path traversal and odd names in paths with a 4xx', async () => {
    const { headers } = await login('root');
    for (const path of [
      '/api/envs/..%2Fprod/apps/web/deploy',
      '/api/envs/%2e%2e/apps/web/deploy',
      '/api/envs/prod/apps/..%2F..%2Fetc/deploy',
      '/api/envs/Prod/apps/web/deploy',
      '/api/envs/prod%00/apps/web/deploy',
      '/api/envs/%ZZ/apps/web/deploy',
      `/api/envs/${'a'.repeat(64)}/apps/web/deploy`,
      '/api/envs/../../../etc/passwd',
      '/api/tokens/..%2F..%2Fusers',
    ]) {
      const method = path.startsWith('/api/tokens') ? 'DELETE' : 'POST';
      const res = await app.request(path, { method, headers }, env());
      expect([400, 404], path).toContain(res.status);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
    expect((await app.request('/api/envs/..%2Fprod/apps/web/deploy', { method: 'POST', headers }, env())).status).toBe(400);
    expect(ops.calls).toEqual([]);
  });

  it('answers an unknown route with 404 JSON', async () => {
    const res = await app.request('/nope', {}, env());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no such route', hint: expect.any(String) });
  });

  it('answers an unexpected error with a generic 500, logs it, and shows no stack', async () => {
    const { headers } = await login('root');
    ops.failNext = new TypeError('cannot read properties of undefined');
    const res = await post('/api/envs/staging/apps/web/deploy', {}, headers);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal error', hint: expect.any(String) });
    expect(text).not.toContain('    at ');
    expect(logged.join('\n')).toContain('cannot read properties of undefined');
  });

  it('answers a workflow’s user error with 422 and its hint', async () => {
    const { headers } = await login('root');
    ops.failNext = new UserError('staging only accepts releases tagged "v*"', 'deploy a tag');
    const res = await post('/api/envs/staging/apps/web/deploy', {}, headers);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'staging only accepts releases tagged "v*"', hint: 'deploy a tag' });
  });
});

describe('audit', () => {
  it('records actions and refusals with who did them, and never a secret', async () => {
    const alice = await login('alice');
    await post('/api/envs/staging/apps/web/deploy', { ref: 'main' }, alice.headers);
    await post('/api/envs/prod/apps/web/deploy', {}, alice.headers);
    await post('/api/login', { user: 'vic', password: 'wrong password here' });
    await app.request('/api/fleet', {}, env());
    const token = await createToken({ name: 'ci', role: 'deployer' });
    const { headers } = await login('root');
    const res = await app.request('/api/audit', { headers }, env());
    const { entries } = (await res.json()) as { entries: Record<string, unknown>[] };
    const brief = entries.map((e) => [e.by, e.action, e.env ?? '', e.outcome, e.status]);
    expect(brief).toEqual([
      ['alice', 'login', '', 'ok', 200],
      ['alice', 'deploy', 'staging', 'ok', 200],
      ['alice', 'deploy', 'prod', 'refused', 403],
      ['vic', 'login', '', 'refused', 401],
      ['anonymous', 'fleet.view', '', 'refused', 401],
      ['root', 'login', '', 'ok', 200],
      ['root', 'token.create', '', 'ok', 201],
      ['root', 'login', '', 'ok', 200],
    ]);
    expect(entries[1]).toMatchObject({ app: 'web', detail: 'release r2', ip: '10.0.0.1', at: '2025-01-01T00:00:00.000Z' });
    expect(entries[2]).toMatchObject({ detail: 'prod is protected: only admins may deploy it' });
    const all = JSON.stringify(entries);
    expect(all).not.toContain(token.slice(4));
    expect(all).not.toContain(PASSWORD);
  });
});
