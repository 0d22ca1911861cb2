// Git webhooks end to end (issue 13): a real git server (a bare repository served by `git daemon`
// on 127.0.0.1) holds a small app; `slipway serve` runs in process with the webhooks part and the
// real workflow ops against a fleet on the simulated host hostA (over SSH): dev, staging
// (deploy policy: branch develop) and prod (tags v*, protected). Deliveries are posted exactly as
// GitHub posts them (X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256 over the raw body).
// Shown: a signed push to develop deploys staging (the pushed commit answers on staging's URL); a
// signed v1.3.0 tag deploys prod; a bad signature is refused (401), listed as refused and in the
// audit log; two quick pushes end with the newest commit live and never two deploys of staging at
// once. Fails (never skips) without the hosts; removes only its own project's objects.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { registerServe, workflowServeOps } from '../src/cli/commands/serve.ts';
import { connectSsh } from '../src/engine/ssh-connect.ts';
import { webhookPart } from '../src/server/parts/webhook-part.ts';
import type { Delivery } from '../src/server/webhooks/deliveries.ts';
import { fetchPush } from '../src/server/webhooks/git-fetch.ts';
import { Secret } from '../src/util/secret.ts';
import { ensureImages } from './harness/engine.ts';
import { type HarnessHosts, hostsUp, loadImagesIntoHosts, sshExec } from './harness/hosts.ts';
import { slipwayOk } from './support/cli.ts';
import { type AppRepo, type GitDaemon, githubHeaders, githubPush, makeAppRepo, startGitDaemon } from './support/git-server.ts';
import { cleanupProjectOn, getVia, hostDocker } from './support/multi-hosts.ts';
import { uniqueProject } from './support/project.ts';

const SECRET = 'whsec-e2e-5b3f0c9a1d7e4f2a';
const ADMIN_PASSWORD = 'a long admin passphrase for webhooks';
// The proxy's port on hostA, its own (other suites share the host).
const HTTP_PORT = 20000 + Math.floor(Math.random() * 20000);

const APP_FILES = {
  Dockerfile: 'FROM node:20-slim\nWORKDIR /app\nCOPY server.js commit.txt ./\nUSER node\nEXPOSE 8000\nCMD ["node", "server.js"]\n',
  'server.js': `const http = require('node:http');
const fs = require('node:fs');
const commit = fs.readFileSync('/app/commit.txt', 'utf8').trim();
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ commit, env: process.env.SLIPWAY_ENV, release: process.env.SLIPWAY_RELEASE }));
}).listen(8000);
process.on('SIGTERM', () => process.exit(0));
`,
  'commit.txt': 'first\n',
};

let hosts: HarnessHosts;
let docker: Docker;
let dir: string;
let project: string;
let daemon: GitDaemon | undefined;
let app: AppRepo;
let url: string;
let cookie: string;
let csrf: string;
const stop = new AbortController();
let running: Promise<unknown> | undefined;
const serveLog: string[] = [];

const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
  const r = await fetch(`${url}${path}`, { ...init, headers: { cookie, 'x-csrf-token': csrf, ...(init.headers as Record<string, string>) } });
  return { status: r.status, body: (await r.json()) as T };
};
const post = (headers: Record<string, string>, body: string) => fetch(`${url}/hooks/git`, { method: 'POST', headers, body });
const deliveries = async () => (await api<{ deliveries: Delivery[] }>('/api/webhooks/deliveries')).body.deliveries;
const page = async (host: string) =>
  JSON.parse((await getVia(hosts.hosts.hostA.ip, HTTP_PORT, host, '/')).body) as { commit: string; env: string; release: string };

/** Waits until delivery `id` has ended (deployed, failed, superseded, ignored); returns it. */
async function settled(id: string, timeoutMs = 300_000): Promise<Delivery> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await deliveries()).find((x) => x.id === id);
    if (d && !['queued', 'running'].includes(d.verdict)) return d;
    if (Date.now() > deadline) throw new Error(`delivery ${id} still ${d?.verdict ?? 'missing'} after ${timeoutMs} ms\n${serveLog.join('')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  await ensureImages(['node', 'caddy']);
  hosts = await hostsUp();
  await loadImagesIntoHosts(['node:20-slim', 'caddy:2'], ['hostA']);
  docker = hostDocker(hosts, 'hostA');
  dir = mkdtempSync(join(tmpdir(), 'slipway-webhook-'));
  project = uniqueProject('whk');
  app = makeAppRepo(join(dir, 'git'), 'acme/shop', join(dir, 'work'), APP_FILES);
  app.commit('develop', 'develop starts', {});
  daemon = await startGitDaemon(join(dir, 'git'));

  const fleetDir = join(dir, 'fleet');
  mkdirSync(fleetDir);
  writeFileSync(
    join(fleetDir, 'slipway.yaml'),
    `project: ${project}
servers:
  vps: { ssh: root@${hosts.hosts.hostA.ip}, http_port: ${HTTP_PORT} }
environments:
  dev: { server: vps, deploy: any, domain: "{app}-dev.localhost", tls: "off" }
  staging: { server: vps, deploy: { branch: develop }, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: vps, deploy: { tags: "v*" }, protected: true, domain: "{app}.localhost", tls: "off" }
apps:
  shop:
    # serve clones it (bare) from the git server on the first delivery
    git: { repo: repos/shop }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
control_plane:
  webhooks:
    secret: { secret: webhook-secret }
    repositories:
      shop: { url: "${daemon.url('acme/shop.git')}" }
    # dev deploys from main only (its policy takes any branch); staging and prod: their deploy policy
    triggers:
      dev: { branches: main }
`,
  );
  const env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
  await slipwayOk(['up'], { cwd: fleetDir, env });
  await slipwayOk(['secret', 'set', 'webhook-secret'], { cwd: fleetDir, env, input: `${SECRET}\n` });

  const out: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void serveLog.push(t) },
    cwd: fleetDir,
    env: { ...process.env, ...env, SLIPWAY_ADMIN_PASSWORD: ADMIN_PASSWORD },
    color: false,
    now: Date.now,
    // The simulated hosts' key and known hosts (the default connector reads the process's own
    // environment, which CI does not give them).
    connector: (server) => connectSsh(server, { knownHostsPath: hosts.knownHostsPath, identityPath: hosts.sshKeyPath }),
  };
  const program = new Command('slipway').exitOverride();
  registerServe(program, ctx, { ops: workflowServeOps(ctx), parts: [webhookPart], signal: stop.signal, bcryptCost: 4 });
  let failed: unknown;
  running = program
    .parseAsync(['serve', '--dev', '--port', '0', '--json', '--admin', 'root', '--data', join(dir, 'serve-data')], { from: 'user' })
    .catch((e) => (failed = e));
  while (out.length === 0 && failed === undefined) await new Promise((r) => setTimeout(r, 20));
  if (failed) throw failed;
  url = (JSON.parse(out.join('')) as { url: string }).url;
  const login = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: ADMIN_PASSWORD }),
  });
  expect(login.status).toBe(200);
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
}, 900_000);

afterAll(async () => {
  stop.abort();
  await running;
  await daemon?.stop();
  if (hosts && project) await sshExec('hostA', ['rm', '-rf', `/tmp/${project}-git`], hosts).catch(() => undefined);
  if (docker && project) await cleanupProjectOn(docker, project);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300_000);

describe('git webhooks through slipway serve (git daemon, fleet on hostA)', () => {
  it('a signed push to develop deploys staging: the pushed commit answers on staging', async () => {
    const sha = app.commit('develop', 'staging one', { 'commit.txt': 'staging one\n' });
    const push = githubPush({ ref: 'refs/heads/develop', before: '1'.repeat(40), sha, message: 'staging one', secret: SECRET });
    const r = await post(push.headers, push.body);
    const answer = (await r.json()) as { id: string; verdict: string; targets: string[] };
    expect(r.status, JSON.stringify(answer)).toBe(202);
    expect(answer).toMatchObject({ verdict: 'queued', targets: ['staging'] });
    const d = await settled(answer.id);
    expect(d, serveLog.join('')).toMatchObject({
      provider: 'github',
      event: 'push',
      providerDeliveryId: push.headers['x-github-delivery'],
      verdict: 'deployed',
    });
    expect(d.targets).toMatchObject([{ env: 'staging', status: 'deployed', detail: expect.stringContaining(sha.slice(0, 12)) }]);
    const live = await page('shop-staging.localhost');
    expect(live).toMatchObject({ commit: 'staging one', env: 'staging', release: d.targets[0]!.release });
    // The audit log has the delivery and the deploy, by the webhook.
    const audit = (await api<{ entries: { by: string; action: string; env?: string; outcome: string }[] }>('/api/audit')).body.entries;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ by: 'webhook github', action: 'webhook', outcome: 'ok' }),
        expect.objectContaining({ by: 'webhook github', action: 'webhook.deploy', env: 'staging', outcome: 'ok' }),
      ]),
    );
  }, 600_000);

  it('a signed v1.3.0 tag deploys prod (protected: from a tag only)', async () => {
    const sha = app.commit('main', 'release 1.3.0', { 'commit.txt': 'release 1.3.0\n' });
    app.tag('main', 'v1.3.0');
    const push = githubPush({ ref: 'refs/tags/v1.3.0', sha, message: 'release 1.3.0', secret: SECRET });
    const r = await post(push.headers, push.body);
    const answer = (await r.json()) as { id: string; targets: string[] };
    expect(r.status, JSON.stringify(answer)).toBe(202);
    // main also matches dev's trigger, but this is a tag: prod only.
    expect(answer.targets).toEqual(['prod']);
    const d = await settled(answer.id);
    expect(d.verdict, serveLog.join('')).toBe('deployed');
    expect(await page('shop.localhost')).toMatchObject({ commit: 'release 1.3.0', env: 'prod', release: d.targets[0]!.release });
    // Staging still runs what develop last deployed.
    expect((await page('shop-staging.localhost')).commit).toBe('staging one');
  }, 600_000);

  it('a bad signature is refused with 401, listed as refused and logged in the audit; nothing is deployed', async () => {
    const before = await page('shop-staging.localhost');
    const sha = app.commit('develop', 'forged', { 'commit.txt': 'forged\n' });
    const push = githubPush({ ref: 'refs/heads/develop', before: '1'.repeat(40), sha, secret: 'not-the-webhook-secret' });
    const r = await post(push.headers, push.body);
    expect(r.status).toBe(401);
    const body = (await r.json()) as { error: string; hint: string; id: string };
    expect(body.error).toMatch(/x-hub-signature-256 does not match/);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    const listed = (await deliveries()).find((d) => d.id === body.id);
    expect(listed).toMatchObject({ verdict: 'refused', refusal: 'signature', providerDeliveryId: push.headers['x-github-delivery'] });
    const audit = (await api<{ entries: { by: string; action: string; outcome: string; status: number; detail?: string }[] }>('/api/audit')).body.entries;
    expect(audit.at(-1)).toMatchObject({ by: 'webhook github', action: 'webhook', outcome: 'refused', status: 401 });
    expect(audit.at(-1)!.detail).toMatch(/refused push: .*does not match/);
    // A tampered body with a once-valid signature is refused too.
    const good = githubPush({ ref: 'refs/heads/develop', before: '1'.repeat(40), sha, secret: SECRET });
    expect((await post(good.headers, good.body.replace('refs/heads/develop', 'refs/tags/v9.9.9'))).status).toBe(401);
    // And a ping (signed) is answered without deploying.
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 458210731 });
    const pinged = await post(githubHeaders('ping', ping, SECRET), ping);
    expect(pinged.status).toBe(200);
    expect(await pinged.json()).toMatchObject({ verdict: 'ignored' });
    expect(await page('shop-staging.localhost')).toEqual(before);
  }, 120_000);

  it('two quick pushes to develop: the newest commit ends up live, and staging never runs two deploys at once', async () => {
    const one = app.commit('develop', 'quick one', { 'commit.txt': 'quick one\n' });
    const first = githubPush({ ref: 'refs/heads/develop', before: '1'.repeat(40), sha: one, secret: SECRET });
    const two = app.commit('develop', 'quick two', { 'commit.txt': 'quick two\n' });
    const second = githubPush({ ref: 'refs/heads/develop', before: one, sha: two, secret: SECRET });
    const [a, b] = await Promise.all([post(first.headers, first.body), new Promise((r) => setTimeout(r, 50)).then(() => post(second.headers, second.body))]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const ids = [((await a.json()) as { id: string }).id, ((await b.json()) as { id: string }).id];
    const [d1, d2] = [await settled(ids[0]!), await settled(ids[1]!)];
    // The newest deployed; the older either deployed before it or was superseded while waiting.
    expect(d2.verdict, serveLog.join('')).toBe('deployed');
    expect(['deployed', 'superseded']).toContain(d1.verdict);
    const t1 = d1.targets[0]!;
    const t2 = d2.targets[0]!;
    if (d1.verdict === 'superseded') {
      expect(t1).toMatchObject({ status: 'superseded', supersededBy: d2.id });
      expect(t1.startedAt).toBeUndefined();
    } else {
      // Both ran: one after the other, never overlapping.
      expect(t1.finishedAt!).toBeLessThanOrEqual(t2.startedAt!);
    }
    // Across every staging deploy the log holds, no two overlap.
    const runs = (await deliveries())
      .flatMap((d) => d.targets.filter((t) => t.env === 'staging' && t.startedAt !== undefined).map((t) => [t.startedAt!, t.finishedAt!] as const))
      .sort((x, y) => x[0] - y[0]);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < runs.length; i++) expect(runs[i]![0]).toBeGreaterThanOrEqual(runs[i - 1]![1]);
    const live = await page('shop-staging.localhost');
    expect(live).toMatchObject({ commit: 'quick two', release: t2.release });
    console.log(`two quick pushes: first ${d1.verdict}, second ${d2.verdict}; staging runs ${runs.map(([s, e]) => `${e - s} ms`).join(', ')}`);
  }, 900_000);

  it('over SSH with a deploy key: a bare repository on hostA is fetched with the key from a Secret; the host key is pinned, the key file removed', async () => {
    const remote = `/tmp/${project}-git/shop.git`;
    await sshExec('hostA', ['git', 'init', '--quiet', '--bare', remote], hosts);
    const sshUrl = `ssh://root@${hosts.hosts.hostA.ip}${remote}`;
    const harnessSsh = `ssh -i ${hosts.sshKeyPath} -o UserKnownHostsFile=${hosts.knownHostsPath} -o BatchMode=yes`;
    execFileSync('git', ['-C', app.work, 'push', '--quiet', sshUrl, 'develop'], { env: { ...process.env, GIT_SSH_COMMAND: harnessSsh } });
    const sha = execFileSync('git', ['-C', app.work, 'rev-parse', 'develop'], { encoding: 'utf8' }).trim();
    const keys = join(dir, 'ssh-fetch');
    mkdirSync(keys, { mode: 0o700 });
    const key = readFileSync(hosts.sshKeyPath, 'utf8');
    const repo = join(dir, 'ssh-clone', 'shop');
    const knownHosts = join(keys, 'known_hosts');
    // The system ssh, not the harness's wrapper (which brings its own key and known_hosts).
    const PATH = (process.env.PATH ?? '')
      .split(':')
      .filter((d) => d !== hosts.sshWrapperDir)
      .join(':');
    // SSH_AUTH_SOCK and ~/.ssh play no part: only the given key is offered.
    const fetched = await fetchPush({
      repo,
      url: sshUrl,
      push: { kind: 'branch', name: 'develop', sha },
      deployKey: new Secret(key, 'deploy-key'),
      knownHosts,
      tmpDir: keys,
      env: { PATH, HOME: keys },
    });
    expect(fetched).toEqual({ sha, cloned: true });
    expect(execFileSync('git', ['-C', repo, 'rev-parse', 'refs/heads/develop'], { encoding: 'utf8' }).trim()).toBe(sha);
    // hostA's key is pinned (the system ssh may hash the host names).
    const hostKey = readFileSync(join(hosts.root, 'hosts', 'hostA', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').split(/\s+/)[1]!;
    expect(execFileSync('ssh-keygen', ['-F', hosts.hosts.hostA.ip, '-f', knownHosts], { encoding: 'utf8' })).toContain(hostKey);
    expect(readdirSync(keys).sort()).toEqual(['known_hosts']);
    // Without the key the host refuses; the message names the fetch, never the key.
    const refused = await fetchPush({
      repo,
      url: sshUrl,
      push: { kind: 'branch', name: 'develop', sha },
      knownHosts,
      tmpDir: keys,
      env: { PATH, HOME: keys },
    }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/^fetching branch develop from ssh:\/\/root@10\.200\.0\.2\/.* failed \(git exit \d+\): .*Permission denied/);
    expect((refused as Error).message).not.toContain(key.split('\n')[1]!);
  }, 120_000);
});
