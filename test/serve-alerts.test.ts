// Metrics and alerts of `slipway serve`, end to end on the simulated host hostA (over SSH): an app
// whose one process has a 64 MiB memory limit and allocates memory when told to (a tiny node app
// built locally from node:20-slim), serve with the metrics part sampling every second, the alert
// `container_memory: above 80 % for 3 s`, a local SMTP sink and a local webhook sink. Memory driven
// to 90 % of the limit fires the alert: exactly one mail and one webhook post; memory freed
// resolves it: exactly one more of each. /metrics refuses a request without the metrics token and
// shows the container's memory against its limit with it; /api/servers shows hostA's figures.
// (The "server memory above 80 %" cannot be driven honestly on this 24 GiB machine by a
// container; that rule is proven with a fake source in src/server/alerts and metrics-part tests.)
// Fails (never skips) without the hosts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { registerServe, workflowServeOps } from '../src/cli/commands/serve.ts';
import { metricsPart } from '../src/server/parts/metrics-part.ts';
import { ensureImages } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts } from './harness/hosts.ts';
import { slipwayOk } from './support/cli.ts';
import { cleanupProjectOn, hostDocker } from './support/multi-hosts.ts';
import { makeProject, type TestProject } from './support/project.ts';
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts';

// Allocates 1 MiB buffers until the cgroup's memory (as `docker stats` counts it: usage less the
// inactive page cache) reaches the percentage of its limit written in /tmp/hog-target; 0 frees them.
const HOG = `const fs = require('fs');
const read = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return undefined; } };
const v1 = '/sys/fs/cgroup/memory/';
function used() {
  const usage = Number(read(v1 + 'memory.usage_in_bytes') ?? read('/sys/fs/cgroup/memory.current'));
  const stat = read(v1 + 'memory.stat') ?? read('/sys/fs/cgroup/memory.stat') ?? '';
  const m = /^(?:total_)?inactive_file (\\d+)$/m.exec(stat);
  return usage - (m ? Number(m[1]) : 0);
}
const limit = Number(read(v1 + 'memory.limit_in_bytes') ?? read('/sys/fs/cgroup/memory.max'));
let chunks = [];
let last = '';
setInterval(() => {
  const target = read('/tmp/hog-target') ?? '0';
  if (target === last) return;
  last = target;
  const pct = Number(target);
  if (pct > 0) while (used() < (pct / 100) * limit && chunks.length < 4096) chunks.push(Buffer.alloc(1 << 20, 7));
  else { chunks = []; global.gc(); }
  console.log('hog: target', pct, '% holding', chunks.length, 'MiB, used', Math.round(used() / 1048576), 'of', Math.round(limit / 1048576), 'MiB');
}, 200);
console.log('hog: ready');
`;
const HOG_TAG = `slipway-test/memhog:${createHash('sha256').update(HOG).digest('hex').slice(0, 10)}`;
const LIMIT = 64 * 1024 * 1024;
const METRICS_TOKEN = 'metrics-token-9f3c1e7a5b';
const ADMIN_PASSWORD = 'a long admin passphrase';

interface Post {
  url: string;
  status: string;
  body: Record<string, unknown>;
}

let p: TestProject;
let docker: Docker;
let smtp: SmtpSink;
let hook: Server;
let hookPort: number;
const posts: Post[] = [];
let url: string;
let cookie: string;
let stopServe: AbortController | undefined;
let serving: Promise<unknown> | undefined;
const served: string[] = [];
const sshEnv: Record<string, string> = {};

function buildHogImage(): void {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-memhog-'));
  try {
    writeFileSync(join(dir, 'hog.js'), HOG);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20-slim\nCOPY hog.js /app/hog.js\nCMD ["node", "--expose-gc", "/app/hog.js"]\n');
    execFileSync('docker', ['build', '-q', '-t', HOG_TAG, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fleetYaml = (project: string, httpPort: number, smtpPort: number) => `project: ${project}
servers:
  vps: { ssh: root@10.200.0.2, memory: 8GiB, proxy: nginx, http_port: ${httpPort} }
environments:
  prod: { server: vps, domain: "{app}.example.test", tls: "off" }
apps:
  hog:
    image: ${HOG_TAG}
    processes:
      worker: { command: "node --expose-gc /app/hog.js", memory: 64MiB }
control_plane:
  metrics_token: { secret: metrics-token }
  alerts:
    container_memory: { above_percent: 80, for: 3s }
  notify:
    webhooks:
      ops: { url: { secret: alert-hook } }
    email: { host: 127.0.0.1, port: ${smtpPort}, from: slipway@example.test, to: ops@example.test }
`;

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- serve log ---\n${served.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Lets the alert loop (one round a second) run a few more rounds. */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function hogContainer(): Promise<string> {
  const [c] = await docker.listContainers({ filters: { label: [`slipway.project=${p.project}`, 'slipway.app=hog', 'slipway.process=worker'] } });
  if (!c) throw new Error('no running hog container');
  return c.Id;
}

async function setTarget(percent: number): Promise<void> {
  const ex = await docker
    .getContainer(await hogContainer())
    .exec({ Cmd: ['sh', '-c', `echo ${percent} > /tmp/hog-target`], AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({});
  await new Promise((resolve) => {
    stream.on('end', resolve);
    stream.resume();
  });
}

beforeAll(async () => {
  await ensureImages(['node', 'nginx']);
  const hosts = await hostsUp();
  buildHogImage();
  await loadImagesIntoHosts([HOG_TAG, 'nginx:1.27'], ['hostA']);
  docker = hostDocker(hosts, 'hostA');
  Object.assign(sshEnv, { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' });
  // serve runs in this process and connects over SSH as the CLI does, with the same settings.
  Object.assign(process.env, sshEnv);

  smtp = await startSmtpSink();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      posts.push({ url: req.url ?? '', status: String(parsed.status), body: parsed });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookPort = (hook.address() as AddressInfo).port;

  p = makeProject('salrt');
  const httpPort = 21000 + Math.floor(Math.random() * 8000);
  p.writeFleet(fleetYaml(p.project, httpPort, smtp.port));
  p.commit('fleet');
  const cli = { cwd: p.dir, env: sshEnv };
  await slipwayOk(['up'], cli);
  await slipwayOk(['secret', 'set', 'metrics-token'], { ...cli, input: METRICS_TOKEN });
  await slipwayOk(['secret', 'set', 'alert-hook'], { ...cli, input: `http://127.0.0.1:${hookPort}/hook/T0KENPATH` });
  await slipwayOk(['deploy', 'hog', 'prod', '--drain', '0'], cli);

  const out: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void served.push(t) },
    cwd: p.dir,
    env: { ...process.env, ...sshEnv, SLIPWAY_ADMIN_PASSWORD: ADMIN_PASSWORD },
    color: false,
    now: Date.now,
  };
  stopServe = new AbortController();
  const program = new Command('slipway').exitOverride();
  registerServe(program, ctx, {
    ops: workflowServeOps(ctx),
    signal: stopServe.signal,
    bcryptCost: 4,
    parts: [metricsPart({ intervalMs: 1000, smtpIgnoreTls: true })],
  });
  let failed: unknown;
  serving = program.parseAsync(['serve', '--dev', '--port', '0', '--json', '--admin', 'root'], { from: 'user' }).catch((e) => (failed = e));
  await until('serve to listen', () => {
    if (failed) throw failed;
    return out.length > 0 ? true : undefined;
  });
  url = (JSON.parse(out.join('')) as { url: string }).url;
  const login = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: ADMIN_PASSWORD }),
  });
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
}, 600_000);

afterAll(async () => {
  stopServe?.abort();
  await serving;
  await smtp?.close();
  await new Promise((resolve) => (hook ? hook.close(resolve) : resolve(undefined)));
  if (docker && p) await cleanupProjectOn(docker, p.project);
  if (p) rmSync(p.dir, { recursive: true, force: true });
}, 120_000);

describe('slipway serve: metrics and alerts on hostA', () => {
  it('serves /metrics with the token only, with the container memory against its limit; /api/servers shows hostA', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const labels = new RegExp(`server="vps",project="${p.project}",env="prod",app="hog",process="worker",container="${p.project}-hog-prod-worker-[^"]+"`);
    const line = (name: string) => text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.test(l));
    expect(line('slipway_container_memory_limit_bytes')).toMatch(new RegExp(` ${LIMIT}$`));
    const used = Number(line('slipway_container_memory_bytes')?.split(' ').pop());
    expect(used).toBeGreaterThan(1024 * 1024);
    expect(used).toBeLessThan(LIMIT);
    expect(Number(line('slipway_container_cpu_seconds_total')?.split(' ').pop())).toBeGreaterThan(0);
    expect(text).toContain('slipway_server_up{server="vps"} 1');
    expect(text).toMatch(/slipway_server_memory_total_bytes\{server="vps"\} \d+/);
    expect(text).toContain('slipway_deploys_total{env="prod",app="hog",outcome="ok"} 1');
    expect(served.join('')).not.toContain(METRICS_TOKEN);

    expect((await fetch(`${url}/api/servers`)).status).toBe(401);
    const { servers } = (await (await fetch(`${url}/api/servers`, { headers: { cookie } })).json()) as {
      servers: {
        name: string;
        ok: boolean;
        memory: { usedBytes: number; totalBytes: number };
        disk: { usedBytes: number; totalBytes: number };
        load1: number;
        cpus: number;
      }[];
    };
    expect(servers).toHaveLength(1);
    const vps = servers[0]!;
    expect(vps).toMatchObject({ name: 'vps', ok: true });
    expect(vps.memory.usedBytes).toBeGreaterThan(0);
    expect(vps.memory.usedBytes).toBeLessThan(vps.memory.totalBytes);
    expect(vps.disk.usedBytes).toBeGreaterThan(0);
    expect(vps.disk.usedBytes).toBeLessThan(vps.disk.totalBytes);
    expect(vps.cpus).toBeGreaterThan(0);
    console.log(`serve-alerts figures: hostA ${JSON.stringify(vps)}; hog container ${used} of ${LIMIT} bytes`);
  }, 120_000);

  it('memory above 80 % of the limit fires once (one mail, one webhook); freed, it resolves once', async () => {
    expect(posts).toEqual([]);
    expect(smtp.mails).toEqual([]);
    await setTarget(90);
    await until('the firing webhook post', () => (posts.length > 0 ? true : undefined));
    await until('the firing mail', () => (smtp.mails.length > 0 ? true : undefined));
    const firing = posts[0]!;
    expect(firing.url).toBe('/hook/T0KENPATH');
    expect(firing.body).toMatchObject({ status: 'firing', rule: 'container-memory', severity: 'warning', labels: { server: 'vps', app: 'hog', env: 'prod' } });
    expect(String(firing.body.title)).toMatch(/^memory of hog worker in prod on vps \(.+\) above 80 % of its limit$/);
    const figure = /^(\d+(?:\.\d)?) % of its limit used/.exec(String(firing.body.detail));
    expect(Number(figure?.[1])).toBeGreaterThan(80);
    expect(smtp.mails[0]).toMatchObject({ from: 'slipway@example.test', to: ['ops@example.test'] });
    expect(smtp.mails[0]!.subject).toMatch(/^\[slipway\] FIRING: memory of hog worker in prod on vps .* above 80 % of its limit$/);
    const { alerts } = (await (await fetch(`${url}/api/alerts`, { headers: { cookie } })).json()) as {
      alerts: { key: string; rule: string; status: string }[];
    };
    expect(alerts.filter((a) => a.rule === 'container-memory')).toEqual([expect.objectContaining({ key: firing.body.alert, status: 'firing' })]);

    // More rounds with the memory still high: nothing more is sent.
    await pause(3000);
    expect(posts).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);

    await setTarget(0);
    await until('the resolved webhook post', () => (posts.length > 1 ? true : undefined));
    await until('the resolved mail', () => (smtp.mails.length > 1 ? true : undefined));
    expect(posts.map((x) => x.status)).toEqual(['firing', 'resolved']);
    expect(posts[1]!.body).toMatchObject({ alert: firing.body.alert, rule: 'container-memory' });
    expect(smtp.mails.map((m) => m.subject.replace(/ on vps .* above/, ' on vps … above'))).toEqual([
      '[slipway] FIRING: memory of hog worker in prod on vps … above 80 % of its limit',
      expect.stringMatching(/^\[slipway\] RESOLVED: memory of hog worker in prod on vps … above 80 % of its limit \(after \d+ s\)$/),
    ]);
    await pause(3000);
    expect(posts).toHaveLength(2);
    expect(smtp.mails).toHaveLength(2);
    expect((await (await fetch(`${url}/api/alerts`, { headers: { cookie } })).json()) as unknown).toEqual({ alerts: [] });
    expect(served.join('')).not.toContain('T0KENPATH');
  }, 300_000);
});
