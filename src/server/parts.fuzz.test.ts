// Fuzzes the routes the control plane's parts add (live jobs and logs, releases, git webhooks and
// their deliveries, schedules/backups/certs/locks, servers/alerts/metrics, the dashboard pages and
// assets), each part wired to in-process fakes: random methods, paths (traversal pieces, encodings,
// NUL, very long names), query strings, bodies (JSON, not JSON, bytes, over 1 MiB sent or only
// declared), content types, credentials and webhook signatures. Whatever comes in, the answer is
// below 500; an error answer is JSON `{ error, hint }` (a dashboard page answers an HTML page);
// an event stream is cancelled once it has started; no answer carries a stack trace.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTls, type Environment, type Fleet } from '../config/fleet.ts';
import { Secret } from '../util/secret.ts';
import type { ActiveAlert } from './alerts/alert-evaluator.ts';
import { createApp, type ControlPlaneApp } from './app.ts';
import { Users } from './auth/users.ts';
import { FakeOps } from './fake-ops.ts';
import { FakeLivePort } from './live/fake-live-port.ts';
import { createMetrics } from './metrics/create-metrics.ts';
import type { OpsData } from './ops-data/ops-data.ts';
import { type LivePart, livePart } from './parts/live-part.ts';
import { webPart } from './parts/web-part.ts';
import { webhookPart } from './parts/webhook-part.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { opsDataRoutes } from './routes/ops-data-routes.ts';
import type { ServePart, ServePartInput } from './serve-part.ts';
import { FileStore } from './store/file-store.ts';

const PASSWORD = 'correct horse battery';
const HOOK_SECRET = 'whsec-fuzz-0123456789';
const METRICS_TOKEN = 'metrics-token-fuzz-0123456789';
const bindings = { incoming: { socket: { remoteAddress: '10.0.0.9' } } };

const environment = (name: string, prot: boolean): Environment =>
  ({
    name,
    server: 'vps1',
    deploy: name === 'prod' ? { kind: 'tags', pattern: 'v*' } : { kind: 'branch', branches: ['develop', 'main'] },
    protected: prot,
    auth: null,
    rateLimit: null,
    domain: null,
    tls: defaultTls('off'),
    limits: {},
  }) as Environment;

let dir: string;
let app: ControlPlaneApp;
let port: FakeLivePort;
let live: LivePart;
let credentials: Record<string, Record<string, string>>;
/** Ids that exist (jobs, deliveries), so that the fuzz reaches the routes' bodies and not only their 404s. */
const known: string[] = [];

const opsData: OpsData = {
  schedules: () => [{ id: 'backup:staging', kind: 'backup', env: 'staging', cron: '0 3 * * *', next: ['2025-01-01T03:00:00.000Z'], running: false }],
  backups: async (env) => ({ backups: [], errors: env === 'prod' ? [{ server: 'vps1', error: 'cannot connect to vps1' }] : [] }),
  certs: async () => [{ server: 'vps2', error: 'cannot connect to vps2' }],
  locks: async () => [],
};

const alerts: ActiveAlert[] = [
  {
    status: 'firing',
    key: 'memory:vps1',
    rule: 'server-memory',
    severity: 'critical',
    labels: { server: 'vps1' },
    title: 'memory',
    detail: '91%',
    since: 0,
  } as ActiveAlert,
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-parts-fuzz-'));
  const store = new FileStore(join(dir, 'data'), { fsync: false });
  await new Users(store, { cost: 4, now: Date.now }).createUser({ name: 'root', role: 'admin', password: PASSWORD });
  const ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['web'] },
    { name: 'prod', protected: true, apps: ['web'] },
  ]);
  // No repository is configured: a signed push is parsed and routed, then ignored (nothing is fetched).
  const fleet = {
    file: join(dir, 'slipway.yaml'),
    environments: [environment('staging', false), environment('prod', true)],
    apps: [{ name: 'web', source: { kind: 'git', repo: 'repos/web', dockerfile: 'Dockerfile', context: '.' }, perEnv: { staging: {}, prod: {} } }],
    controlPlane: {
      schedules: { verify: '', certRenewal: '' },
      alerts: {},
      notify: { webhooks: [] },
      webhooks: { secretName: 'hook', repositories: {}, triggers: [] },
      metricsTokenSecret: 'metrics',
    },
  } as unknown as Fleet;
  const input: ServePartInput = {
    data: join(dir, 'data'),
    file: fleet.file,
    loadFleet: async () => fleet,
    ops,
    store,
    now: Date.now,
    env: {},
    cwd: dir,
    log: { write: () => undefined },
    url: () => undefined,
    dev: false,
    secret: async (name) => (name === 'hook' ? new Secret(HOOK_SECRET) : name === 'metrics' ? new Secret(METRICS_TOKEN) : undefined),
  };
  port = new FakeLivePort();
  live = livePart(port, { now: Date.now });
  const { registry } = createMetrics({
    source: {
      containers: async () => [],
      servers: async () => [{ server: 'vps1', memoryUsedBytes: 1, memoryTotalBytes: 2, diskUsedBytes: 3, diskTotalBytes: 4, load1: 0.5 }],
      backups: async () => [],
    },
    now: Date.now,
  });
  const metrics: ServePart = {
    name: 'metrics',
    routes: (a, s) =>
      metricsRoutes(a, s, {
        registry,
        servers: async () => [
          { name: 'vps1', ok: true, load1: 0.5 },
          { name: 'vps2', ok: false, error: 'connection refused' },
        ],
        alerts: () => alerts,
        metricsToken: async () => new Secret(METRICS_TOKEN),
      }),
  };
  const schedules: ServePart = { name: 'schedules', routes: (a, s) => opsDataRoutes(a, s, opsData) };
  const parts = [live, await webhookPart(input), schedules, metrics, await webPart(input)];
  app = createApp({
    store,
    now: Date.now,
    ops,
    parts,
    options: { secureCookies: true, bcryptCost: 4, loginLimits: { windowMs: 1, perUser: 1e9, perIp: 1e9 } },
  });

  const login = await app.request(
    '/api/login',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'root', password: PASSWORD }) },
    bindings,
  );
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const session = { cookie, 'x-csrf-token': csrfToken };
  const token = async (body: unknown) => {
    const res = await app.request(
      '/api/tokens',
      { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify(body) },
      bindings,
    );
    expect(res.status).toBe(201);
    return `Bearer ${((await res.json()) as { token: string }).token}`;
  };
  credentials = {
    none: {},
    session,
    sessionNoCsrf: { cookie },
    token: { authorization: await token({ name: 'fuzz-admin', role: 'admin' }) },
    stagingToken: { authorization: await token({ name: 'fuzz-staging', role: 'deployer', envs: ['staging'] }) },
    metricsToken: { authorization: `Bearer ${METRICS_TOKEN}` },
    junkToken: { authorization: 'Bearer slp_\u00ff' },
    junkCookie: { cookie: 'slipway_session=%%%; other=1' },
  };

  // A finished job, a job still running (its event stream never ends by itself), a refused and an ignored delivery.
  const job = async (body: unknown) => {
    const res = await app.request(
      '/api/jobs',
      { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify(body) },
      bindings,
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  known.push(await job({ action: 'deploy', env: 'staging', app: 'web' }));
  await settle(() => port.pending.length === 1);
  port.finish({ release: 'r2' });
  known.push(await job({ action: 'rollback', env: 'prod', app: 'web' }));
  for (const signed of [false, true]) {
    const body = pushBody('refs/heads/main', 'acme/web');
    const res = await app.request(
      '/hooks/git',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signed ? sign(body) : sign(body, 'wrong') },
        body,
      },
      bindings,
    );
    expect(res.status).toBe(signed ? 200 : 401);
    known.push(((await res.json()) as { id: string }).id);
  }
});

afterAll(async () => {
  live.jobs.abortAll();
  live.streams.closeAll();
  await rm(dir, { recursive: true, force: true });
});

async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

function pushBody(ref: string, fullName: string, sha = 'a'.repeat(40)): string {
  return JSON.stringify({
    ref,
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    head_commit: { id: sha, message: 'm' },
    repository: { full_name: fullName, clone_url: `https://github.com/${fullName}.git`, ssh_url: `git@github.com:${fullName}.git` },
  });
}
const sign = (body: string | Uint8Array, key = HOOK_SECRET) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

const segment = fc.oneof(
  { arbitrary: fc.constantFrom('staging', 'prod', 'web'), weight: 4 },
  { arbitrary: fc.nat().map((i) => known[i % known.length] ?? 'x'), weight: 1 },
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '..%2F..%2Fetc%2Fpasswd',
    '%2F',
    '%5C..%5C',
    '%00',
    '\u0000',
    'web%00.js',
    '%ZZ',
    '%',
    'Prod',
    'a'.repeat(70),
    'a'.repeat(5000),
    '',
    '\u00e9',
    '%C0%AE',
    '000000000000',
    'ffffffffffff',
    'app.css',
    'app-00000000.js',
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ maxLength: 20 }),
);
/** Mostly an id that exists (a job, a delivery). */
const jobId = fc.oneof({ arbitrary: fc.nat().map((i) => known[i % known.length] ?? 'x'), weight: 3 }, segment);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?app=web', '?app=api', '?app=web&tail=5&q=error&process=web'),
  fc
    .record(
      {
        app: fc.oneof(fc.constantFrom('web', '..', 'a'.repeat(300)), fc.string({ maxLength: 10 })),
        process: fc.oneof(fc.constantFrom('web', '../x', ''), fc.string({ maxLength: 10 })),
        tail: fc.oneof(fc.constantFrom('0', '200', '999999', '1e9', '-1', 'NaN', '99999999999999999999'), fc.string({ maxLength: 6 })),
        q: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('x'.repeat(300))),
        next: fc.constantFrom('/jobs', '//evil.example', 'https://evil.example/', '/\\evil', '/..%2F..', 'javascript:alert(1)'),
      },
      { requiredKeys: [] },
    )
    .map((r) => `?${new URLSearchParams(r as Record<string, string>).toString()}`),
  fc.constantFrom('?app', '?app=web&app=api', '?tail=%ZZ', '?%%%=1', '?q=%00'),
);
const route = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '/api/jobs',
      '/api/schedules',
      '/api/certs',
      '/api/locks',
      '/api/servers',
      '/api/alerts',
      '/metrics',
      '/hooks/git',
      '/api/webhooks/deliveries',
    ),
    weight: 4,
  },
  jobId.map((id) => `/api/jobs/${id}`),
  jobId.map((id) => `/api/jobs/${id}/events`),
  fc.tuple(segment, segment).map(([e, a]) => `/api/envs/${e}/apps/${a}/logs`),
  segment.map((e) => `/api/envs/${e}/releases`),
  segment.map((e) => `/api/envs/${e}/backups`),
  jobId.map((id) => `/api/webhooks/deliveries/${id}/redeliver`),
  fc.constantFrom(
    '/',
    '/login',
    '/jobs',
    '/backups',
    '/schedules',
    '/certs',
    '/locks',
    '/alerts',
    '/webhooks',
    '/audit',
    '/hooks/git/',
    '/metrics/',
    '/assets/',
  ),
  segment.map((e) => `/envs/${e}`),
  segment.map((id) => `/jobs/${id}`),
  segment.map((f) => `/assets/${f}`),
  fc.array(segment, { maxLength: 5 }).map((s) => `/assets/${s.join('/')}`),
  fc.array(segment, { maxLength: 5 }).map((s) => `/hooks/${s.join('/')}`),
);
const path = fc.tuple(route, query).map(([r, q]) => r + q);

const goodJob = fc
  .tuple(
    fc.oneof(
      fc.record({ action: fc.constant('deploy'), app: fc.constantFrom('web', 'api') }, { requiredKeys: ['action'] }),
      fc.record({ action: fc.constant('deploy'), app: fc.constant('web'), ref: fc.constantFrom('main', '../../etc', 'a..b', 'v1.lock', 'x'.repeat(300)) }),
      fc.record({ action: fc.constant('rollback'), app: fc.constant('web'), release: fc.constantFrom('r1', '../r1') }, { requiredKeys: ['action', 'app'] }),
      fc.record({ action: fc.constant('backup-verify'), backup: fc.constantFrom('20250101T000000Z-abcd', '../x') }, { requiredKeys: ['action'] }),
    ),
    fc.constantFrom('staging', 'prod', 'Prod', '..'),
  )
  .map(([job, env]) => JSON.stringify({ ...job, env }));
const jobBody = fc
  .record(
    {
      action: fc.oneof(fc.constantFrom('deploy', 'rollback', 'backup-verify'), fc.anything()),
      env: fc.oneof(fc.constantFrom('staging', 'prod', '..', '../prod', 'a'.repeat(70)), fc.anything()),
      app: fc.oneof(fc.constantFrom('web', '../web', '%2e%2e'), fc.anything()),
      ref: fc.oneof(fc.constantFrom('main', '../../etc', 'a..b', '-x', 'v1.lock'), fc.string()),
      image: fc.oneof(fc.constantFrom('nginx:1', '$(id)', 'a b'), fc.string()),
      release: fc.oneof(fc.constantFrom('r1', '../r1'), fc.string()),
      backup: fc.oneof(fc.constantFrom('20250101T000000Z-abcd', '../x'), fc.string()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  )
  .map((v) => JSON.stringify(v));
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  jobBody,
  { arbitrary: goodJob, weight: 2 },
  fc
    .tuple(
      fc.constantFrom('refs/heads/main', 'refs/heads/develop', 'refs/tags/v1', 'refs/heads/../../x', ''),
      fc.constantFrom('acme/web', '../..', 'a'.repeat(300)),
    )
    .map(([r, n]) => pushBody(r, n)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 1, max: 3 }).map((n) => '['.repeat(n * 5000)),
  fc.constant('{"action":"deploy","env":"staging","app":"web"'),
  fc.constant('x'.repeat(1024 * 1024 + 10)),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  fc.constantFrom(
    undefined,
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'application/json; charset=latin1',
  ),
);
const method = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST'), weight: 6 },
  { arbitrary: fc.constant('HEAD'), weight: 1 },
  fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS'),
);
const who = fc.oneof(
  { arbitrary: fc.constantFrom('session', 'token'), weight: 4 },
  fc.constantFrom('none', 'sessionNoCsrf', 'stagingToken', 'metricsToken', 'junkToken', 'junkCookie'),
);
/** Webhook headers: a provider's event header (or none), and a signature that is right, wrong, malformed or absent. */
const hookHeaders = fc.record(
  {
    provider: fc.constantFrom('github', 'gitlab', 'gitea', 'none', 'all'),
    event: fc.constantFrom('push', 'Push Hook', 'ping', 'tag_push', '', '\u00ff'),
    signature: fc.constantFrom('right', 'wrong', 'malformed', 'none', 'huge'),
    declared: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, fc.constantFrom('99999999999', '1048577', '-1', '1e3', ' 10 ', 'abc', '0')),
  },
  { requiredKeys: ['provider', 'event', 'signature'] },
);

function headersFor(h: { provider: string; event: string; signature: string; declared?: string }, b: string | Uint8Array | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = b ?? '';
  const signature =
    h.signature === 'right' ? sign(raw) : h.signature === 'wrong' ? sign(raw, 'wrong') : h.signature === 'huge' ? `sha256=${'f'.repeat(100_000)}` : 'sha256=zz';
  const hex = signature.slice('sha256='.length);
  if (h.provider === 'github' || h.provider === 'all') out['x-github-event'] = h.event;
  if (h.provider === 'gitlab' || h.provider === 'all') out['x-gitlab-event'] = h.event;
  if (h.provider === 'gitea' || h.provider === 'all') out['x-gitea-event'] = h.event;
  if (h.signature !== 'none') {
    out['x-hub-signature-256'] = signature;
    out['x-gitea-signature'] = hex;
    out['x-gitlab-token'] = h.signature === 'right' ? HOOK_SECRET : hex;
  }
  if (h.declared !== undefined) out['content-length'] = h.declared;
  return out;
}

/** An answer checked: below 500, no stack, errors as JSON `{ error, hint }` (or an HTML page from the dashboard). */
async function check(m: string, p: string, res: Response): Promise<void> {
  const what = `${m} ${p.slice(0, 200)} → ${res.status}`;
  expect(res.status, what).toBeLessThan(500);
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    expect(res.status, what).toBe(200);
    await res.body?.cancel();
    return;
  }
  const text = await res.text();
  for (const leak of ['    at ', 'node_modules', '.ts:', HOOK_SECRET, METRICS_TOKEN]) expect(text, what).not.toContain(leak);
  if (res.status < 400 || m === 'HEAD') return;
  const dashboard = !/^\/(api|hooks|metrics|assets)(\/|\?|$)/.test(p);
  if (dashboard && type.startsWith('text/html')) {
    expect(text, what).toMatch(/^<!doctype html>/i);
    return;
  }
  expect(type, what).toMatch(/^application\/json/);
  expect(JSON.parse(text), what).toMatchObject({ error: expect.any(String), hint: expect.any(String) });
}

/** Sends one fuzzed request and checks its answer; a request no HTTP client could build is skipped. */
async function send(m: string, p: string, headers: Record<string, string>, b: string | Uint8Array | undefined): Promise<void> {
  let req: Request;
  try {
    req = new Request(new URL(p, 'http://localhost'), { method: m, headers, ...(b !== undefined && m !== 'GET' && m !== 'HEAD' ? { body: b } : {}) });
  } catch {
    return;
  }
  await check(m, p, await app.request(req, undefined, bindings));
  // Jobs the fuzz started end at once (one per environment at a time), except the one kept running.
  while (port.pending.length > 1) port.pending.splice(1, 1)[0]!.resolve({ release: 'r3' });
}

describe("the parts' routes under fuzz", () => {
  it('HEAD on an event stream answers its headers and starts nothing (no follow, no stream left open)', async () => {
    // Found by this fuzz: Hono answers HEAD with the GET route's headers and drops its body uncancelled,
    // so each HEAD left a log follow (a docker logs stream over a session) and a job stream open until serve stopped.
    const follows = port.follows.length;
    for (const p of ['/api/envs/staging/apps/web/logs', `/api/jobs/${known[0]}/events`, `/api/jobs/${known[1]}/events`]) {
      const res = await app.request(p, { method: 'HEAD', headers: credentials.session! }, bindings);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toBe('text/event-stream');
      expect(await res.text(), p).toBe('');
    }
    expect(port.follows.length).toBe(follows);
    expect(port.openFollows).toBe(0);
    expect(live.streams.size).toBe(0);
    // HEAD answers the same refusals as GET.
    expect((await app.request('/api/envs/staging/apps/nope/logs', { method: 'HEAD', headers: credentials.session! }, bindings)).status).toBe(404);
    expect((await app.request('/api/jobs/000000000000/events', { method: 'HEAD' }, bindings)).status).toBe(401);
  });

  it('answer anything with < 500, JSON (or HTML page) errors and no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, body, contentType, who, hookHeaders, async (m, p, b, ct, w, hook) => {
        const declared: Record<string, string> = hook.declared !== undefined ? { 'content-length': hook.declared } : {};
        const extra = p.startsWith('/hooks/') ? headersFor(hook, b) : declared;
        await send(m, p, { ...credentials[w], ...(ct ? { 'content-type': ct } : {}), ...extra }, b);
      }),
      { numRuns: 300 },
    );
    // Every stream the fuzz opened was ended when its body was cancelled.
    await settle(() => port.openFollows === 0 && live.streams.size === 0);
  });

  it('POST /api/jobs and POST /hooks/git: near-valid bodies, signatures and credentials', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.oneof({ arbitrary: goodJob, weight: 3 }, body), contentType, who, hookHeaders, async (hooks, b, ct, w, hook) => {
        const declared: Record<string, string> = hook.declared !== undefined ? { 'content-length': hook.declared } : {};
        if (hooks) await send('POST', '/hooks/git', { ...(ct ? { 'content-type': ct } : {}), ...headersFor(hook, b) }, b);
        else await send('POST', '/api/jobs', { ...credentials[w], ...(ct ? { 'content-type': ct } : {}), ...declared }, b);
      }),
      { numRuns: 200 },
    );
  });
});
