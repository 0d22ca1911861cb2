// The webhooks part in process: createApp with the part, FakeOps behind it, and a real local bare
// repository as the configured URL. POST /hooks/git answers 202 (queued) / 200 (ignored) / 401
// (bad signature, listed and audited as refused) / 400 (not JSON) / 413 (too large); the push is
// fetched into the app's repository (cloned bare on first use) so that the branch resolves to the
// pushed commit, then deployed through ops.deploy by `webhook github`; the delivery list needs a
// login, a staging-only token sees only staging's deliveries; redelivery needs an admin and the
// CSRF token.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DeployPolicy, defaultTls, type Environment, type Fleet } from '../../config/fleet.ts';
import { Secret } from '../../util/secret.ts';
import { createApp, type ControlPlaneApp } from '../app.ts';
import { Tokens } from '../auth/tokens.ts';
import { Users } from '../auth/users.ts';
import { FakeOps } from '../fake-ops.ts';
import { webhookPart } from '../parts/webhook-part.ts';
import { FileStore } from '../store/file-store.ts';
import type { Delivery } from './deliveries.ts';

const SECRET = 'whsec-http-0123456789';
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e.x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e.x' };
const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', env: GIT_ENV }).trim();

const env = (name: string, deploy: DeployPolicy, prot = false): Environment => ({
  name,
  server: 'vps1',
  deploy,
  protected: prot,
  auth: null,
  rateLimit: null,
  domain: null,
  tls: defaultTls('off'),
  limits: {},
});

let dir: string;
let app: ControlPlaneApp;
let ops: FakeOps;
let bare: string;
let work: string;
let logged: string[];

function fleet(): Fleet {
  return {
    file: join(dir, 'fleet', 'slipway.yaml'),
    environments: [env('staging', { kind: 'branch', branches: ['develop'] }), env('prod', { kind: 'tags', pattern: 'v*' }, true)],
    apps: [{ name: 'shop', source: { kind: 'git', repo: 'repos/shop', dockerfile: 'Dockerfile', context: '.' }, perEnv: { staging: {}, prod: {} } }],
    controlPlane: {
      schedules: { verify: '', certRenewal: '' },
      alerts: {},
      notify: { webhooks: [] },
      webhooks: { secretName: 'hook', repositories: { shop: { url: bare } }, triggers: [] },
    },
  } as unknown as Fleet;
}

function commit(branch: string, text: string): string {
  git(['-C', work, 'checkout', '-q', '-B', branch]);
  execFileSync('sh', ['-c', `printf '%s' "$1" > "$2"`, 'sh', text, join(work, 'commit.txt')]);
  git(['-C', work, 'add', '-A']);
  git(['-C', work, 'commit', '-q', '-m', text]);
  git(['-C', work, 'push', '-q', 'origin', branch]);
  return git(['-C', work, 'rev-parse', 'HEAD']);
}

const githubBody = (ref: string, sha: string) =>
  JSON.stringify({
    ref,
    before: '0'.repeat(40),
    after: sha,
    created: true,
    deleted: false,
    head_commit: { id: sha, message: 'm' },
    repository: { full_name: 'acme/shop', clone_url: 'https://github.com/acme/shop.git', ssh_url: 'git@github.com:acme/shop.git' },
  });
const sign = (body: string, key = SECRET) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
const hook = (body: string, headers: Record<string, string> = {}) =>
  app.request('/hooks/git', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'gh-1', 'x-hub-signature-256': sign(body), ...headers },
    body,
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-webhook-http-'));
  bare = join(dir, 'git', 'acme', 'shop.git');
  work = join(dir, 'work');
  git(['init', '-q', '--bare', '-b', 'main', bare]);
  git(['init', '-q', '-b', 'main', work]);
  git(['-C', work, 'remote', 'add', 'origin', bare]);
  commit('main', 'first');
  const store = new FileStore(join(dir, 'data'), { fsync: false });
  await new Users(store, { now: Date.now, cost: 4 }).bootstrapAdmin('root', 'a long admin passphrase');
  ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['shop'] },
    { name: 'prod', protected: true, apps: ['shop'] },
  ]);
  logged = [];
  const part = await webhookPart({
    data: join(dir, 'data'),
    file: join(dir, 'fleet', 'slipway.yaml'),
    loadFleet: async () => fleet(),
    ops,
    store,
    now: Date.now,
    env: process.env,
    cwd: dir,
    log: { write: (t) => void logged.push(t) },
    url: () => undefined,
    dev: true,
    secret: async (name) => (name === 'hook' ? new Secret(SECRET) : undefined),
  });
  app = createApp({ store, now: Date.now, ops, options: { secureCookies: false, bcryptCost: 4 }, parts: [part] });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function login(): Promise<{ cookie: string; csrf: string }> {
  const r = await app.request('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: 'a long admin passphrase' }),
  });
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
}

async function list(headers: Record<string, string>): Promise<Delivery[]> {
  return ((await (await app.request('/api/webhooks/deliveries', { headers })).json()) as { deliveries: Delivery[] }).deliveries;
}

describe('POST /hooks/git (in process)', () => {
  it('a signed push to develop: 202, the repository cloned and develop at the pushed commit, deployed by the webhook', async () => {
    const sha = commit('develop', 'one');
    const r = await hook(githubBody('refs/heads/develop', sha));
    expect(r.status).toBe(202);
    const answer = (await r.json()) as { id: string; targets: string[] };
    expect(answer.targets).toEqual(['staging']);
    const { cookie } = await login();
    await vi.waitFor(async () => expect((await list({ cookie }))[0]).toMatchObject({ id: answer.id, verdict: 'deployed' }), { timeout: 10_000 });
    expect(ops.calls).toEqual([{ op: 'deploy', app: 'shop', env: 'staging', req: { by: 'webhook github', ref: 'develop' } }]);
    const repo = join(dir, 'fleet', 'repos', 'shop');
    expect(git(['-C', repo, 'rev-parse', '--is-bare-repository'])).toBe('true');
    expect(git(['-C', repo, 'rev-parse', 'refs/heads/develop'])).toBe(sha);
    const [d] = await list({ cookie });
    expect(d!.targets[0]).toMatchObject({ env: 'staging', status: 'deployed', startedAt: expect.any(Number), finishedAt: expect.any(Number) });
    expect(ops.entries.filter((e) => e.by.startsWith('webhook')).map((e) => `${e.by} ${e.action} ${e.outcome}`)).toEqual([
      'webhook github webhook ok',
      'webhook github webhook.deploy ok',
    ]);
  });

  it('a tag moves only prod; branch pushes never reach protected prod', async () => {
    const sha = commit('main', 'release');
    git(['-C', work, 'tag', 'v1.3.0']);
    git(['-C', work, 'push', '-q', 'origin', 'v1.3.0']);
    const r = await hook(githubBody('refs/tags/v1.3.0', sha));
    expect(r.status).toBe(202);
    expect(((await r.json()) as { targets: string[] }).targets).toEqual(['prod']);
    await vi.waitFor(() => expect(ops.calls).toHaveLength(1), { timeout: 10_000 });
    expect(ops.calls[0]).toMatchObject({ env: 'prod', req: { ref: 'v1.3.0', by: 'webhook github' } });
    const main = await hook(githubBody('refs/heads/main', sha));
    expect(main.status).toBe(200);
    expect(await main.json()).toMatchObject({ verdict: 'ignored', reason: 'no environment deploys branch main' });
  });

  it('refuses a bad signature (401, listed and audited), a body that is not JSON (400) and a body too large (413)', async () => {
    const body = githubBody('refs/heads/develop', commit('develop', 'x'));
    const bad = await hook(body, { 'x-hub-signature-256': sign(body, 'wrong-secret-1234') });
    expect(bad.status).toBe(401);
    const answer = (await bad.json()) as { error: string; hint: string; id: string };
    expect(answer).toMatchObject({ error: expect.stringMatching(/does not match/), hint: expect.stringMatching(/secret/) });
    const form = 'payload=%7B%7D';
    expect((await hook(form, { 'x-hub-signature-256': sign(form) })).status).toBe(400);
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect((await hook(huge, { 'x-hub-signature-256': sign(huge) })).status).toBe(413);
    const { cookie } = await login();
    expect((await list({ cookie })).map((d) => `${d.verdict} ${d.refusal}`)).toEqual(['refused payload', 'refused signature']);
    expect(ops.entries.filter((e) => e.action === 'webhook').map((e) => `${e.outcome} ${e.status}`)).toEqual(['refused 401', 'refused 400']);
    expect(ops.calls).toEqual([]);
    expect(JSON.stringify(ops.entries)).not.toContain(SECRET);
  });

  it('the delivery list needs a login; a staging-only token sees staging only; redelivery is for admins with the CSRF token', async () => {
    const sha = commit('develop', 'one');
    const first = (await (await hook(githubBody('refs/heads/develop', sha))).json()) as { id: string };
    const body = githubBody('refs/heads/develop', sha);
    await hook(body, { 'x-hub-signature-256': sign(body, 'wrong-secret-1234') });
    expect((await app.request('/api/webhooks/deliveries')).status).toBe(401);
    const store = new FileStore(join(dir, 'data'), { fsync: false });
    const tokens = new Tokens(store, { now: Date.now });
    const viewer = await tokens.create({ name: 'ci-staging', role: 'viewer', envs: ['staging'], createdBy: 'root' });
    const scoped = await list({ authorization: `Bearer ${viewer.token}` });
    expect(scoped.map((d) => d.id)).toEqual([first.id]);
    const { cookie, csrf } = await login();
    await vi.waitFor(async () => expect((await list({ cookie })).find((d) => d.id === first.id)?.verdict).toBe('deployed'), { timeout: 10_000 });
    const path = `/api/webhooks/deliveries/${first.id}/redeliver`;
    expect((await app.request(path, { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect((await app.request(path, { method: 'POST', headers: { authorization: `Bearer ${viewer.token}` } })).status).toBe(403);
    expect((await app.request('/api/webhooks/deliveries/..%2Fx/redeliver', { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status).toBe(400);
    const again = await app.request(path, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(again.status).toBe(202);
    const redelivered = (await again.json()) as { id: string; redeliveryOf: string; targets: string[] };
    expect(redelivered).toMatchObject({ redeliveryOf: first.id, targets: ['staging'] });
    await vi.waitFor(() => expect(ops.calls).toHaveLength(2), { timeout: 10_000 });
    const refused = (await list({ cookie })).find((d) => d.verdict === 'refused')!;
    const r = await app.request(`/api/webhooks/deliveries/${refused.id}/redeliver`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(r.status).toBe(422);
    expect(await r.json()).toMatchObject({ error: expect.stringMatching(/nothing to run again/) });
    expect(ops.entries.filter((e) => e.action === 'webhook.redeliver').map((e) => e.outcome)).toEqual(['refused', 'refused', 'refused', 'ok', 'failed']);
    // Deliveries are kept in the data directory.
    expect(await readFile(join(dir, 'data', 'webhook-deliveries.json'), 'utf8')).toContain(first.id);
  });
});
