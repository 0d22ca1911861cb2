// The read-only operational routes (routes/ops-data-routes.ts) on the real app with a fake
// OpsData: viewers read them, anonymous callers are refused, a token limited to staging sees only
// staging's rows, an unreachable server is an entry with its error (200 for the list), and bad
// or unknown environment names are clear 4xx answers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type ControlPlaneApp } from '../app.ts';
import { Users } from '../auth/users.ts';
import { FakeOps } from '../fake-ops.ts';
import { opsDataRoutes } from '../routes/ops-data-routes.ts';
import { FileStore } from '../store/file-store.ts';
import type { BackupsView, CertView, Listed, LockView, OpsData, ScheduleView } from './ops-data.ts';

const PASSWORD = 'correct horse battery';
let dir: string;
let app: ControlPlaneApp;
let asked: string[];

const SCHEDULES: ScheduleView[] = [
  {
    id: 'backup:staging',
    kind: 'backup',
    env: 'staging',
    cron: '0 3 * * *',
    next: ['2025-01-01T03:00:00.000Z', '2025-01-02T03:00:00.000Z', '2025-01-03T03:00:00.000Z'],
    lastRun: { at: '2024-12-31T03:00:00.000Z', outcome: 'ok', durationMs: 1200, trigger: 'schedule' },
    running: false,
  },
  { id: 'backup:prod', kind: 'backup', env: 'prod', cron: '0 3 * * *', next: ['2025-01-01T03:00:00.000Z'], running: true },
  { id: 'cert-renewal:vps1', kind: 'cert-renewal', server: 'vps1', cron: '0 4 * * *', next: ['2025-01-01T04:00:00.000Z'], running: false },
];
const CERTS: Listed<CertView>[] = [
  {
    server: 'vps1',
    domain: 'web.example.com',
    domains: ['web.example.com'],
    env: 'prod',
    issuer: 'R11',
    notAfter: '2025-03-01T00:00:00.000Z',
    daysLeft: 59,
    source: 'slipway acme',
  },
  {
    server: 'vps1',
    domain: 'web-staging.example.com',
    domains: ['web-staging.example.com'],
    env: 'staging',
    issuer: 'R11',
    notAfter: '2025-01-10T00:00:00.000Z',
    daysLeft: 9,
    source: 'caddy',
  },
  { server: 'vps2', error: 'cannot connect to vps2: connect ECONNREFUSED', hint: 'check that the server is up' },
];
const LOCKS: Listed<LockView>[] = [
  { server: 'vps1', env: 'prod', holder: 'ci@runner', command: 'deploy web prod', since: '2025-01-01T00:00:00.000Z', host: 'runner', pid: 42, stale: false },
  { server: 'vps2', error: 'cannot connect to vps2: timed out' },
];
const BACKUPS: BackupsView = {
  backups: [
    {
      id: '20241231T030000Z-1a2b',
      at: '2024-12-31T03:00:00.000Z',
      ageS: 75600,
      sizeBytes: 123456,
      status: 'ok',
      complete: ['local'],
      verifiedAt: '2024-12-31T05:00:00.000Z',
      verifyOk: true,
    },
  ],
  errors: [],
};

const fake: OpsData = {
  schedules: () => SCHEDULES,
  backups: async (env) => {
    asked.push(`backups ${env}`);
    return env === 'staging' ? BACKUPS : { backups: [], errors: [{ server: 'vps1', error: 'cannot connect to vps1' }] };
  },
  certs: async () => CERTS,
  locks: async () => LOCKS,
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-opsdata-'));
  const now = () => Date.UTC(2025, 0, 1);
  const store = new FileStore(dir, { fsync: false });
  const users = new Users(store, { cost: 4, now });
  await users.createUser({ name: 'root', role: 'admin', password: PASSWORD });
  await users.createUser({ name: 'vic', role: 'viewer', password: PASSWORD });
  asked = [];
  const ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['web'] },
    { name: 'prod', protected: true, apps: ['web'] },
  ]);
  app = createApp({
    store,
    now,
    ops,
    options: { secureCookies: false, bcryptCost: 4 },
    parts: [{ name: 'ops-data', routes: (a, s) => opsDataRoutes(a, s, fake) }],
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function login(user: string): Promise<Record<string, string>> {
  const res = await app.request('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, 'x-csrf-token': csrfToken };
}

async function stagingToken(): Promise<Record<string, string>> {
  const res = await app.request('/api/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await login('root')) },
    body: JSON.stringify({ name: 'ci-staging', role: 'viewer', envs: ['staging'] }),
  });
  expect(res.status).toBe(201);
  return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
}

const get = async (path: string, headers: Record<string, string>) => {
  const res = await app.request(path, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('operational read-only routes', () => {
  it('a viewer reads schedules, backups, certificates and locks', async () => {
    const h = await login('vic');
    expect(await get('/api/schedules', h)).toEqual({ status: 200, body: { jobs: SCHEDULES } });
    expect(await get('/api/envs/staging/backups', h)).toEqual({ status: 200, body: BACKUPS });
    expect(await get('/api/certs', h)).toEqual({ status: 200, body: { certs: CERTS } });
    expect(await get('/api/locks', h)).toEqual({ status: 200, body: { locks: LOCKS } });
  });

  it('an unreachable server is an entry with its error, not a failure of the list', async () => {
    const h = await login('vic');
    const certs = await get('/api/certs', h);
    expect(certs.status).toBe(200);
    expect(certs.body.certs).toContainEqual({ server: 'vps2', error: 'cannot connect to vps2: connect ECONNREFUSED', hint: 'check that the server is up' });
    const backups = await get('/api/envs/prod/backups', h);
    expect(backups).toEqual({ status: 200, body: { backups: [], errors: [{ server: 'vps1', error: 'cannot connect to vps1' }] } });
  });

  it('refuses anonymous callers, bad names and unknown environments with clear 4xx answers', async () => {
    for (const path of ['/api/schedules', '/api/envs/staging/backups', '/api/certs', '/api/locks']) {
      const r = await get(path, {});
      expect(r.status, path).toBe(401);
      expect(r.body).toMatchObject({ error: 'not logged in', hint: expect.any(String) });
    }
    const h = await login('vic');
    const bad = await get('/api/envs/..%2Fetc/backups', h);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid env name' });
    const unknown = await get('/api/envs/nope/backups', h);
    expect(unknown).toEqual({ status: 404, body: { error: 'no environment nope', hint: 'GET /api/fleet lists the environments' } });
    expect(asked).toEqual([]);
  });

  it('a token limited to staging sees only staging: its jobs, certificates and locks, and no prod backups', async () => {
    const h = await stagingToken();
    expect((await get('/api/schedules', h)).body.jobs).toEqual([SCHEDULES[0]]);
    expect((await get('/api/certs', h)).body.certs).toEqual([CERTS[1]]);
    expect((await get('/api/locks', h)).body.locks).toEqual([]);
    expect((await get('/api/envs/staging/backups', h)).status).toBe(200);
    const prod = await get('/api/envs/prod/backups', h);
    expect(prod.status).toBe(403);
    expect(prod.body.error).toContain('limited to staging');
    expect(asked).toEqual(['backups staging']);
  });
});
