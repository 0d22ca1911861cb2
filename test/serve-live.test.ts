// The live part of `slipway serve` end to end on a simulated server (hostA over SSH): serve is
// composed as the CLI registers it (real workflow ops, the live part over the real workflows),
// and a small app built from git logs every request. Through the API only: a deploy job whose
// steps arrive as server-sent events before `done` and whose release then answers through the
// proxy; the app's logs streamed live with search, showing the line it prints for a request,
// and the follow (docker log streams and SSH session) gone once the client leaves; a second
// deploy whose release shows the image and git range since the first; a rollback job back to
// the first. Hosts are shared: only this project's objects are removed. Fails without the hosts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { registerServe, workflowServeOps } from '../src/cli/commands/serve.ts';
import { connectSsh } from '../src/engine/ssh-connect.ts';
import type { LivePart } from '../src/server/parts/live-part.ts';
import type { LivePortStats } from '../src/server/live/workflow-live-port.ts';
import { ensureImages } from './harness/engine.ts';
import { type HarnessHosts, hostsUp, loadImagesIntoHosts } from './harness/hosts.ts';
import { cleanupProjectOn, getVia, hostDocker } from './support/multi-hosts.ts';
import { makeProject, type TestProject } from './support/project.ts';

const PASSWORD = 'a long admin passphrase for live';
const HOST = 'talk-staging.localhost';

let hosts: HarnessHosts;
let p: TestProject;
let httpPort: number;
let url: string;
let headers: Record<string, string>;
let part: (LivePart & { stats(): LivePortStats }) | undefined;
const stop = new AbortController();
let running: Promise<unknown> | undefined;
const log: string[] = [];

const APP = `const http = require('node:http');
const release = process.env.SLIPWAY_RELEASE || 'dev';
http.createServer((req, res) => {
  console.log('request ' + req.method + ' ' + req.url);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ release, path: req.url }) + '\\n');
}).listen(8000, () => console.log('listening on 8000, release ' + release));
process.on('SIGTERM', () => process.exit(0));
`;

function fleet(project: string, ip: string, port: number): string {
  return `project: ${project}
servers:
  vps: { ssh: root@${ip}, memory: 4GiB, proxy: nginx, http_port: ${port} }
environments:
  staging: { server: vps, deploy: any, tls: "off", domain: "{app}-staging.localhost" }
apps:
  talk:
    git: { repo: ., context: talk }
    processes:
      web: { port: 8000, health: /health, memory: 64MiB }
`;
}

beforeAll(async () => {
  await ensureImages(['node', 'nginx']);
  hosts = await hostsUp();
  await loadImagesIntoHosts(['node:20-slim', 'nginx:1.27'], ['hostA']);
  p = makeProject('live');
  httpPort = 20000 + Math.floor(Math.random() * 20000);
  mkdirSync(join(p.dir, 'talk'));
  writeFileSync(join(p.dir, 'talk', 'server.js'), APP);
  writeFileSync(join(p.dir, 'talk', 'Dockerfile'), 'FROM node:20-slim\nWORKDIR /app\nCOPY server.js ./\nCMD ["node", "server.js"]\n');
  p.writeFleet(fleet(p.project, hosts.hosts.hostA.ip, httpPort));
  p.commit('talk app');

  const sshEnv = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
  const out: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void log.push(t) },
    cwd: p.dir,
    env: { SLIPWAY_ADMIN_PASSWORD: PASSWORD },
    color: false,
    now: Date.now,
    connector: (server) => connectSsh(server, { env: sshEnv }),
  };
  const { liveServePart } = await import('../src/server/parts/live-part.ts');
  const program = new Command('slipway').exitOverride();
  registerServe(program, ctx, {
    ops: workflowServeOps(ctx),
    signal: stop.signal,
    bcryptCost: 4,
    parts: [
      (input) => {
        part = liveServePart(input);
        return part;
      },
    ],
  });
  let failed: unknown;
  running = program.parseAsync(['serve', '--dev', '--port', '0', '--json', '--admin', 'root'], { from: 'user' }).catch((e) => (failed = e));
  while (out.length === 0 && failed === undefined) await new Promise((r) => setTimeout(r, 20));
  if (failed !== undefined) throw failed;
  url = (JSON.parse(out.join('')) as { url: string }).url;
  const login = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  headers = { cookie: login.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken };
}, 600_000);

afterAll(async () => {
  stop.abort();
  await running;
  if (p && hosts) await cleanupProjectOn(hostDocker(hosts, 'hostA'), p.project);
  if (p) rmSync(p.dir, { recursive: true, force: true });
}, 300_000);

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a fetch response's server-sent events one at a time. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const ready: SseEvent[] = [];
  let ended = false;
  return {
    async next(): Promise<SseEvent | undefined> {
      while (ready.length === 0 && !ended) {
        const { done, value } = await reader.read();
        if (done) ended = true;
        else buf += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          if (block.startsWith(':')) continue;
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          ready.push({ event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(data) });
        }
      }
      return ready.shift();
    },
  };
}

async function api(path: string, body?: unknown): Promise<Response> {
  return fetch(
    `${url}${path}`,
    body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
}

/** Starts a job and reads its events until `done`: the steps before it, and how it ended. */
async function runJob(body: unknown): Promise<{ id: string; steps: string[]; done: Record<string, unknown>; after: SseEvent | undefined }> {
  const res = await api('/api/jobs', body);
  const job = (await res.json()) as { id: string; status: string };
  expect([res.status, job.status]).toEqual([202, 'running']);
  const events = sse(await api(`/api/jobs/${job.id}/events`));
  const steps: string[] = [];
  for (;;) {
    const e = await events.next();
    if (!e) throw new Error(`the stream of job ${job.id} ended without done; steps: ${steps.join(' | ')}`);
    if (e.event === 'done') {
      console.log(`job ${(body as { action: string }).action}: ${steps.length} steps before done`);
      return { id: job.id, steps, done: e.data, after: await events.next() };
    }
    expect(e.event).toBe('step');
    steps.push(String(e.data.text));
  }
}

const releases = new Map<string, string>();

describe('serve: the live part on hostA', () => {
  it('a deploy job streams its steps, then done; the release is live', async () => {
    const { steps, done, after } = await runJob({ action: 'deploy', env: 'staging', app: 'talk', ref: 'main' });
    expect(done.status, JSON.stringify(done)).toBe('ok');
    expect(after).toBeUndefined(); // the stream ended after done
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.some((s) => /^→ build main/.test(s))).toBe(true);
    const release = (done.result as { release: string }).release;
    releases.set('first', release);
    const r = await getVia(hosts.hosts.hostA.ip, httpPort, HOST, '/');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).release).toBe(release);
    const job = (await (await api('/api/jobs')).json()) as { jobs: { status: string; by: string }[] };
    expect(job.jobs[0]).toMatchObject({ status: 'ok', by: 'root' });
  }, 300_000);

  it('streams the logs live with search: the line the app prints for a request; the follow ends when the client goes', async () => {
    const mark = `live-${Date.now().toString(36)}`;
    const leave = new AbortController();
    const res = await fetch(`${url}/api/envs/staging/apps/talk/logs?process=web&tail=5&q=${mark.toUpperCase()}`, { headers, signal: leave.signal });
    expect(res.status).toBe(200);
    expect(part!.stats().logSessions).toBe(1);
    const events = sse(res);
    expect((await getVia(hosts.hosts.hostA.ip, httpPort, HOST, `/${mark}`)).status).toBe(200);
    const e = await events.next();
    expect(e).toMatchObject({ event: 'line', data: { process: 'web', text: `request GET /${mark}` } });
    expect(String(e!.data.container)).toContain(`${p.project}-talk-staging-web`);
    leave.abort();
    while (part!.stats().logSessions > 0 || part!.streams.size > 0) await new Promise((r) => setTimeout(r, 50));
    expect(part!.stats().logSessions).toBe(0);
  }, 120_000);

  it('a second deploy shows what changed: image and the commits since the first', async () => {
    writeFileSync(join(p.dir, 'talk', 'VERSION'), '2\n');
    const sha = p.commit('talk: second version');
    const { done } = await runJob({ action: 'deploy', env: 'staging', app: 'talk', ref: 'main' });
    expect(done.status, JSON.stringify(done)).toBe('ok');
    releases.set('second', (done.result as { release: string }).release);
    const body = (await (await api('/api/envs/staging/releases?app=talk')).json()) as {
      releases: {
        id: string;
        current: boolean;
        by: string;
        sha?: string;
        changes: { image?: { from: string; to: string }; git?: { commits: { sha: string; subject: string }[] } };
      }[];
    };
    expect(body.releases.map((r) => [r.id, r.current])).toEqual([
      [releases.get('second'), true],
      [releases.get('first'), false],
    ]);
    const [latest, first] = body.releases;
    expect(latest!.sha).toBe(sha);
    expect(latest!.changes.image?.to).toContain(releases.get('second'));
    expect(latest!.changes.git?.commits).toEqual([{ sha, subject: 'talk: second version' }]);
    expect(first!.changes).toEqual({});
    // Recorded on the server with the API's user.
    expect(body.releases.map((r) => r.by)).toEqual(['root via slipway serve', 'root via slipway serve']);
  }, 300_000);

  it('a rollback job puts the first release back', async () => {
    const { steps, done } = await runJob({ action: 'rollback', env: 'staging', app: 'talk' });
    expect(done.status, JSON.stringify(done)).toBe('ok');
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect((done.result as { release: string }).release).toBe(releases.get('first'));
    expect(JSON.parse((await getVia(hosts.hosts.hostA.ip, httpPort, HOST, '/')).body).release).toBe(releases.get('first'));
    expect(log.join('')).not.toContain(PASSWORD);
  }, 300_000);
});
