// The live routes in process, over a fake LivePort: starting jobs with the synchronous routes'
// authorization (roles, token environments, protected environments, CSRF), one job per
// environment, 404 for unknown jobs, the event stream's framing (replayed steps, live steps, done,
// end), failures without stacks, the audit entries, live logs with search, releases, and no
// listener or follow left behind when a client disconnects or serve stops.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../diag/errors.ts';
import { createApp, type ControlPlaneApp } from '../app.ts';
import { Users } from '../auth/users.ts';
import { FakeOps } from '../fake-ops.ts';
import { FakeLivePort } from '../live/fake-live-port.ts';
import { type LivePart, livePart } from '../parts/live-part.ts';
import { FileStore } from '../store/file-store.ts';

const PASSWORD = 'correct horse battery';
let dir: string;
let now: number;
let ops: FakeOps;
let port: FakeLivePort;
let part: LivePart;
let app: ControlPlaneApp;
let ids: number;

const bindings = () => ({ incoming: { socket: { remoteAddress: '10.0.0.9' } } });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-live-'));
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
  port = new FakeLivePort();
  ids = 0;
  part = livePart(port, { now: () => now, newJobId: () => (++ids).toString(16).padStart(12, '0') });
  app = createApp({ store, now: () => now, ops, parts: [part], options: { secureCookies: true, bcryptCost: 4 } });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(path: string, init: RequestInit = {}) {
  return app.request(path, init, bindings());
}
function post(path: string, body: unknown, headers: Record<string, string>) {
  return request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
async function login(user: string): Promise<Record<string, string>> {
  const res = await post('/api/login', { user, password: PASSWORD }, {});
  expect(res.status).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': csrfToken };
}
async function token(body: unknown): Promise<Record<string, string>> {
  const res = await post('/api/tokens', body, await login('root'));
  expect(res.status).toBe(201);
  return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
}
async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads server-sent events from a response body, one at a time; `raw` keeps the bytes as sent. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let raw = '';
  const ready: SseEvent[] = [];
  let ended = false;
  const pull = async (): Promise<void> => {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      return;
    }
    const text = decoder.decode(value, { stream: true });
    raw += text;
    buf += text;
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      if (block.startsWith(':')) continue;
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      ready.push({ event, data: JSON.parse(data) });
    }
  };
  return {
    async next(): Promise<SseEvent | undefined> {
      while (ready.length === 0 && !ended) await pull();
      return ready.shift();
    },
    /** Every event until the stream ends. */
    async rest(): Promise<SseEvent[]> {
      const out: SseEvent[] = [];
      for (let e = await this.next(); e; e = await this.next()) out.push(e);
      return out;
    },
    cancel: () => reader.cancel(),
    raw: () => raw,
  };
}

describe('POST /api/jobs', () => {
  it('starts a deploy at once (202) and streams its steps, then done, then ends', async () => {
    const alice = await login('alice');
    const res = await post('/api/jobs', { action: 'deploy', env: 'staging', app: 'web', ref: 'main' }, alice);
    expect(res.status).toBe(202);
    const job = (await res.json()) as Record<string, unknown>;
    expect(job).toEqual({
      id: '000000000001',
      action: 'deploy',
      env: 'staging',
      app: 'web',
      by: 'alice',
      status: 'running',
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    await settle(() => port.pending.length === 1);
    expect(port.pending[0]!.req).toEqual({ app: 'web', env: 'staging', ref: 'main', by: 'alice' });

    const events = await request('/api/jobs/000000000001/events', { headers: alice });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const s = sse(events);
    // Steps written before the client came are replayed.
    expect(await s.next()).toEqual({ event: 'step', data: { at: '2025-01-01T00:00:00.000Z', text: '→ build …' } });
    expect(await s.next()).toEqual({ event: 'step', data: { at: '2025-01-01T00:00:00.000Z', text: '  ✓ build (1.0 s)' } });
    // Then live ones, a partial line only once it is complete.
    now += 1000;
    port.pending[0]!.out.write('→ roll');
    port.pending[0]!.out.write('out …\n');
    expect(await s.next()).toEqual({ event: 'step', data: { at: '2025-01-01T00:00:01.000Z', text: '→ rollout …' } });
    port.finish({ release: 'r7', image: 'web:r7' });
    expect(await s.rest()).toEqual([{ event: 'done', data: { status: 'ok', result: { release: 'r7', image: 'web:r7' } } }]);
    expect(s.raw()).toContain('event: step\ndata: {"at":"2025-01-01T00:00:01.000Z","text":"→ rollout …"}\n\n');
    expect(s.raw()).toMatch(/event: done\ndata: \{"status":"ok",.*\}\n\n$/);

    const view = (await (await request('/api/jobs/000000000001', { headers: alice })).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ status: 'ok', endedAt: '2025-01-01T00:00:01.000Z', result: { release: 'r7' } });
    expect((view.steps as unknown[]).length).toBe(3);
    // A stream opened after the end replays everything and ends.
    const late = await sse(await request('/api/jobs/000000000001/events', { headers: alice })).rest();
    expect(late.map((e) => e.event)).toEqual(['step', 'step', 'step', 'done']);
    expect(part.jobs.listenerCount()).toBe(0);
    expect(part.streams.size).toBe(0);
    // Audited when asked, and when it ended.
    expect(ops.entries.filter((e) => e.action === 'deploy')).toMatchObject([
      { by: 'alice', env: 'staging', app: 'web', outcome: 'ok', status: 202, detail: 'job 000000000001', ip: '10.0.0.9' },
      { by: 'alice', env: 'staging', app: 'web', outcome: 'ok', detail: 'job 000000000001: release r7', ip: '10.0.0.9' },
    ]);
  });

  it('refuses as the synchronous routes do: no login, a viewer, a deployer on a protected env, a token for another env, no CSRF', async () => {
    const body = { action: 'deploy', env: 'prod', app: 'web' };
    expect((await post('/api/jobs', body, {})).status).toBe(401);
    const vic = await post('/api/jobs', { ...body, env: 'staging' }, await login('vic'));
    expect(vic.status).toBe(403);
    expect(await vic.json()).toEqual({ error: 'vic is a viewer and may not deploy', hint: 'ask an admin for the deployer role' });
    const alice = await login('alice');
    const prod = await post('/api/jobs', body, alice);
    expect(prod.status).toBe(403);
    expect(((await prod.json()) as { error: string }).error).toBe('prod is protected: only admins may deploy it');
    expect((await post('/api/jobs', { action: 'rollback', env: 'prod', app: 'web' }, alice)).status).toBe(403);
    expect((await post('/api/jobs', { ...body, env: 'staging' }, { cookie: alice.cookie! })).status).toBe(403);
    const staging = await token({ name: 'ci-staging', role: 'deployer', envs: ['staging'] });
    const refused = await post('/api/jobs', body, staging);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('token ci-staging is limited to staging and may not act on prod');
    expect((await post('/api/jobs', { action: 'backup-verify', env: 'prod' }, staging)).status).toBe(403);
    expect(port.pending).toEqual([]);
    // The same token may deploy staging; an admin may deploy prod.
    expect((await post('/api/jobs', { ...body, env: 'staging' }, staging)).status).toBe(202);
    expect((await post('/api/jobs', body, await login('root'))).status).toBe(202);
    await settle(() => port.pending.length === 2);
    expect(port.pending.map((p) => p.req.by)).toEqual(['token ci-staging', 'root']);
    expect(ops.entries.filter((e) => e.outcome === 'refused').map((e) => [e.by, e.action, e.status])).toEqual([
      ['anonymous', 'job', 401],
      ['vic', 'deploy', 403],
      ['alice', 'deploy', 403],
      ['alice', 'rollback', 403],
      ['alice', 'job', 403],
      ['token ci-staging', 'deploy', 403],
      ['token ci-staging', 'backup-verify', 403],
    ]);
  });

  it('checks the body and the names: unknown env or app is 404, a bad field 400, no stack', async () => {
    const root = await login('root');
    const cases: [unknown, number][] = [
      [{ action: 'deploy', env: 'qa', app: 'web' }, 404],
      [{ action: 'deploy', env: 'staging', app: 'nope' }, 404],
      [{ action: 'deploy', env: 'staging', app: 'web', ref: '../etc' }, 400],
      [{ action: 'deploy', env: 'staging', app: 'web', ref: 'main', image: 'x:1' }, 400],
      [{ action: 'deploy', env: '../prod', app: 'web' }, 400],
      [{ action: 'restore', env: 'staging' }, 400],
      [{ action: 'backup-verify', env: 'staging', backup: 'latest; rm -rf /' }, 400],
      [{ action: 'backup-verify', env: 'staging', app: 'web' }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await post('/api/jobs', body, root);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      const text = await res.text();
      expect(text).not.toMatch(/\bat .+:\d+:\d+/);
      expect(Object.keys(JSON.parse(text))).toEqual(['error', 'hint']);
    }
    expect(port.pending).toEqual([]);
  });

  it('runs one job per environment (409 with a hint), another environment meanwhile', async () => {
    const root = await login('root');
    const first = (await (await post('/api/jobs', { action: 'deploy', env: 'staging', app: 'web' }, root)).json()) as { id: string };
    const second = await post('/api/jobs', { action: 'rollback', env: 'staging', app: 'api' }, root);
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({
      error: `staging has a job running: deploy ${first.id} by root`,
      hint: `wait for it to end: GET /api/jobs/${first.id}/events`,
    });
    expect((await post('/api/jobs', { action: 'backup-verify', env: 'prod' }, root)).status).toBe(202);
    await settle(() => port.pending.length === 2);
    port.finish({ release: 'r2' });
    await settle(() => part.jobs.runningIn('staging') === undefined);
    expect((await post('/api/jobs', { action: 'rollback', env: 'staging', app: 'api' }, root)).status).toBe(202);
  });

  it('a failed job says the first line and the hint, never a stack; an unexpected error says nothing of itself', async () => {
    const root = await login('root');
    await post('/api/jobs', { action: 'deploy', env: 'staging', app: 'web' }, root);
    await settle(() => port.pending.length === 1);
    port.fail(new UserError('cannot connect to 1 server(s):\n  s1: timed out', 'check that the server is up'));
    const s = sse(await request('/api/jobs/000000000001/events', { headers: root }));
    const events = await s.rest();
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 'failed', error: 'cannot connect to 1 server(s):', hint: 'check that the server is up' } });
    expect(events.map((e) => (e.data as { text?: string }).text).filter(Boolean)).toContain('s1: timed out');

    await post('/api/jobs', { action: 'rollback', env: 'staging', app: 'web' }, root);
    await settle(() => port.pending.length === 1);
    port.fail(new Error('password=hunter2 in a driver'));
    await settle(() => part.jobs.runningIn('staging') === undefined);
    const view = await (await request('/api/jobs/000000000002', { headers: root })).text();
    expect(JSON.parse(view)).toMatchObject({ status: 'failed', error: 'internal error', hint: "the control plane's log has the details" });
    expect(view).not.toContain('hunter2');
    expect(ops.entries.filter((e) => e.outcome === 'failed').map((e) => e.detail)).toEqual([
      'job 000000000001: cannot connect to 1 server(s):',
      'job 000000000002: internal error',
    ]);
  });
});

describe('GET /api/jobs', () => {
  it('lists the jobs newest first (a token sees its environments only); an unknown or invalid id is 404', async () => {
    const root = await login('root');
    await post('/api/jobs', { action: 'deploy', env: 'staging', app: 'web' }, root);
    await post('/api/jobs', { action: 'deploy', env: 'prod', app: 'web' }, root);
    const { jobs } = (await (await request('/api/jobs', { headers: root })).json()) as { jobs: { id: string; env: string; steps?: unknown }[] };
    expect(jobs.map((j) => [j.id, j.env])).toEqual([
      ['000000000002', 'prod'],
      ['000000000001', 'staging'],
    ]);
    expect(jobs[0]!.steps).toBeUndefined();
    const viewer = await token({ name: 'look-staging', role: 'viewer', envs: ['staging'] });
    const seen = (await (await request('/api/jobs', { headers: viewer })).json()) as { jobs: { env: string }[] };
    expect(seen.jobs.map((j) => j.env)).toEqual(['staging']);
    expect((await request('/api/jobs/000000000002', { headers: viewer })).status).toBe(404);
    expect((await request('/api/jobs/000000000002/events', { headers: viewer })).status).toBe(404);
    for (const id of ['00000000000f', '..%2F..%2Fetc', 'ABC']) {
      const res = await request(`/api/jobs/${id}/events`, { headers: root });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect((await request('/api/jobs')).status).toBe(401);
  });

  it('keeps the newest 50 jobs', async () => {
    const root = await login('root');
    for (let i = 0; i < 55; i++) {
      expect((await post('/api/jobs', { action: 'backup-verify', env: 'staging' }, root)).status).toBe(202);
      await settle(() => port.pending.length === 1);
      port.finish({ result: 'ok' });
      await settle(() => part.jobs.runningIn('staging') === undefined);
    }
    const { jobs } = (await (await request('/api/jobs', { headers: root })).json()) as { jobs: { id: string }[] };
    expect(jobs).toHaveLength(50);
    expect(jobs[0]!.id).toBe((55).toString(16).padStart(12, '0'));
  });
});

describe('disconnects and stop', () => {
  it('a client that leaves a job stream leaves no listener behind', async () => {
    const root = await login('root');
    await post('/api/jobs', { action: 'deploy', env: 'staging', app: 'web' }, root);
    const s = sse(await request('/api/jobs/000000000001/events', { headers: root }));
    expect((await s.next())?.event).toBe('step');
    expect(part.jobs.listenerCount()).toBe(1);
    expect(part.streams.size).toBe(1);
    await s.cancel();
    await settle(() => part.jobs.listenerCount() === 0 && part.streams.size === 0);
    await settle(() => port.pending.length === 1);
    port.finish({ release: 'r2' });
  });

  it("serve's stop ends every open stream and aborts running verifications", async () => {
    const root = await login('root');
    await post('/api/jobs', { action: 'backup-verify', env: 'staging' }, root);
    const jobStream = sse(await request('/api/jobs/000000000001/events', { headers: root }));
    const logStream = sse(await request('/api/envs/staging/apps/web/logs', { headers: root }));
    await jobStream.next();
    await settle(() => part.streams.size === 2 && port.openFollows === 1);
    const stop = await part.start!();
    await stop();
    expect((await jobStream.rest()).map((e) => e.event)).toEqual(['step']);
    await logStream.rest();
    expect(port.pending[0]!.signal?.aborted).toBe(true);
    await settle(() => part.streams.size === 0 && port.openFollows === 0 && part.jobs.listenerCount() === 0);
  });
});

describe('GET /api/envs/ENV/apps/APP/logs', () => {
  it('streams the lines (a viewer may), filtered by q whatever the case, and stops following when the client goes', async () => {
    const vic = await login('vic');
    const res = await request('/api/envs/staging/apps/web/logs?process=web&tail=20&q=HeLLo', { headers: vic });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    await settle(() => port.follows.length === 1);
    expect(port.follows[0]!.req).toEqual({ app: 'web', env: 'staging', process: 'web', tail: 20 });
    const s = sse(res);
    port.push({ process: 'web', container: 'web-staging-web-0-r1', text: 'GET / 200' });
    port.push({ process: 'web', container: 'web-staging-web-0-r1', text: 'GET /hello 200' });
    port.follows[0]!.h.onInfo?.('the containers stopped; following the running ones');
    expect(await s.next()).toEqual({ event: 'line', data: { process: 'web', container: 'web-staging-web-0-r1', text: 'GET /hello 200' } });
    expect(await s.next()).toEqual({ event: 'info', data: { text: 'the containers stopped; following the running ones' } });
    expect(s.raw()).toContain('event: line\ndata: {"process":"web","container":"web-staging-web-0-r1","text":"GET /hello 200"}\n\n');
    await s.cancel();
    await settle(() => port.openFollows === 0 && part.streams.size === 0);
    expect(port.follows[0]!.signal.aborted).toBe(true);
  });

  it('answers JSON errors before streaming: nothing running (422), bad names or tail (400), unknown app (404), a token for another env (403)', async () => {
    const root = await login('root');
    port.followError = new UserError('no running container of web in staging', 'deploy it first: slipway deploy web staging');
    const none = await request('/api/envs/staging/apps/web/logs', { headers: root });
    expect(none.status).toBe(422);
    expect(await none.json()).toEqual({ error: 'no running container of web in staging', hint: 'deploy it first: slipway deploy web staging' });
    expect((await request('/api/envs/staging/apps/web/logs?tail=-1', { headers: root })).status).toBe(400);
    expect((await request('/api/envs/staging/apps/web/logs?process=..%2F', { headers: root })).status).toBe(400);
    expect((await request('/api/envs/staging/apps/nope/logs', { headers: root })).status).toBe(404);
    expect((await request('/api/envs/qa/apps/web/logs', { headers: root })).status).toBe(404);
    const staging = await token({ name: 'look-staging', role: 'viewer', envs: ['staging'] });
    expect((await request('/api/envs/prod/apps/web/logs', { headers: staging })).status).toBe(403);
    expect((await request('/api/envs/staging/apps/web/logs')).status).toBe(401);
    expect(port.openFollows).toBe(0);
  });
});

describe('GET /api/envs/ENV/releases', () => {
  it('lists the releases with their changes; asks for the app; refuses other envs to a scoped token', async () => {
    port.releaseList = [
      {
        app: 'web',
        id: 'r2',
        image: 'acme/web:staging-r2',
        sha: 'b'.repeat(40),
        at: '2025-01-01T00:00:00.000Z',
        by: 'ci',
        status: 'live',
        current: true,
        changes: { image: { from: 'acme/web:staging-r1', to: 'acme/web:staging-r2' } },
      },
    ];
    const vic = await login('vic');
    const res = await request('/api/envs/staging/releases?app=web', { headers: vic });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ releases: port.releaseList });
    expect((await request('/api/envs/staging/releases', { headers: vic })).status).toBe(400);
    expect((await request('/api/envs/staging/releases?app=Web', { headers: vic })).status).toBe(400);
    expect((await request('/api/envs/staging/releases?app=nope', { headers: vic })).status).toBe(404);
    const staging = await token({ name: 'look-staging', role: 'viewer', envs: ['staging'] });
    expect((await request('/api/envs/prod/releases?app=web', { headers: staging })).status).toBe(403);
  });
});
