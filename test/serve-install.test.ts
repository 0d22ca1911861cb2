// `slipway serve install` end to end on a simulated server (hostA over SSH, Caddy, `tls:
// internal`): the CLI (serve and serve install registered as the CLI registers them) builds the
// serve image on hostA from node:20-slim and a CLI bundle built for this suite, copies the fleet
// file into the app's data volume, creates the first admin there and deploys the `slipway` app.
// Then, through the proxy over HTTPS on the control plane's domain: /api/me refuses without a
// session (401 JSON), the admin logs in, and /api/fleet lists the fleet's environment, which
// serve inside the container read through the server's Docker socket. A second install (an
// upgrade) keeps the users, replaces the container with a new release, and the health route
// answers 200 through the proxy all along. Hosts are shared: only this project's objects go.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { addGlobalOptions } from '../src/cli/global-options.ts';
import { registerServe, workflowServeOps } from '../src/cli/commands/serve.ts';
import { registerServeInstall } from '../src/cli/commands/serve-install.ts';
import { connectSsh } from '../src/engine/ssh-connect.ts';
import { ensureImages } from './harness/engine.ts';
import { type HarnessHosts, hostsUp, loadImagesIntoHosts } from './harness/hosts.ts';
import { REPO } from './support/cli.ts';
import { cleanupProjectOn, hostContainers, hostDocker } from './support/multi-hosts.ts';
import { makeProject, type TestProject } from './support/project.ts';
import { suitePorts } from './support/tls-client.ts';

const IP = '10.200.0.2';
const DOMAIN = 'deploy.serve-install.example.com';
const PASSWORD = 'a long admin passphrase for install';

let hosts: HarnessHosts;
let p: TestProject;
let ports: { http: number; https: number };
let bundleDir: string;
const log: string[] = [];

function fleet(project: string): string {
  return `project: ${project}
servers:
  vps: { ssh: root@${IP}, memory: 4GiB, proxy: caddy, http_port: ${ports.http}, https_port: ${ports.https} }
environments:
  ops: { server: vps, deploy: any, tls: internal }
control_plane:
  domain: ${DOMAIN}
  server: vps
  env: ops
`;
}

/** `slipway serve install ARGS` in process, as the CLI registers it; stdout returned. */
async function install(args: string[]): Promise<string> {
  const out: string[] = [];
  const ctx: CliContext = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void log.push(t) },
    cwd: p.dir,
    env: { SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_SERVE_BUNDLE: join(bundleDir, 'slipway.cjs') },
    color: false,
    now: Date.now,
    connector: (server) => connectSsh(server, { env: { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' } }),
  };
  const program = new Command('slipway').exitOverride();
  registerServe(program, ctx, { ops: workflowServeOps(ctx) });
  registerServeInstall(program, ctx, { bcryptCost: 4 });
  addGlobalOptions(program);
  await program.parseAsync(['serve', 'install', ...args], { from: 'user' });
  return out.join('');
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  issuer?: string;
}

/** One HTTPS request to the proxy on hostA for DOMAIN (Caddy's internal CA: not verified, its issuer returned). */
function https(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: IP,
        port: ports.https,
        method,
        path,
        servername: DOMAIN,
        rejectUnauthorized: false,
        agent: false,
        timeout: 15_000,
        headers: { Host: DOMAIN, ...(body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let text = '';
        const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, issuer: String(cert?.issuer?.CN ?? '') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} https://${DOMAIN}${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function login(): Promise<Record<string, string>> {
  const r = await https('POST', '/api/login', { body: { user: 'root', password: PASSWORD } });
  expect(r.status, r.body).toBe(200);
  const cookie = String([r.headers['set-cookie']].flat()[0]).split(';')[0]!;
  return { cookie, 'x-csrf-token': (JSON.parse(r.body) as { csrfToken: string }).csrfToken };
}

beforeAll(async () => {
  await ensureImages(['node', 'caddy']);
  hosts = await hostsUp();
  await loadImagesIntoHosts(['node:20-slim', 'caddy:2'], ['hostA']);
  // The bundle the image runs, built from this checkout for this suite (dist/ is not touched).
  bundleDir = mkdtempSync(join(tmpdir(), 'slipway-install-bundle-'));
  const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-cli.mjs'), bundleDir], { encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`bundle build failed: ${build.stderr}`);
  ports = suitePorts();
  p = makeProject('srvinst');
  p.writeFleet(fleet(p.project));
  p.commit('fleet');
}, 600_000);

afterAll(async () => {
  if (p && hosts) await cleanupProjectOn(hostDocker(hosts, 'hostA'), p.project);
  if (p) rmSync(p.dir, { recursive: true, force: true });
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
}, 300_000);

describe('slipway serve install on hostA', () => {
  let first: { url: string; image: string; release: string; steps: { label: string; ms: number }[] };

  it('builds the image on the server, deploys the slipway app and prints its URL', async () => {
    first = JSON.parse(await install(['vps', '--admin', 'root', '--json'])) as typeof first;
    expect(first.url).toBe(`https://${DOMAIN}:${ports.https}/`);
    expect(first.image).toBe('slipway/serve:v0.1.0');
    expect(first.release).toMatch(/\S/);
    console.log(`serve install (first): ${first.steps.map((s) => `${s.label} ${s.ms} ms`).join(', ')}`);
    expect(log.join('')).toContain('created admin root');
    expect(log.join('')).not.toContain(PASSWORD);
    const running = (await hostContainers(hostDocker(hosts, 'hostA'), p.project)).filter((c) => c.labels['slipway.app'] === 'slipway' && c.state === 'running');
    expect(running.map((c) => c.labels['slipway.release'])).toEqual([first.release]);
  }, 900_000);

  it('answers through the proxy over HTTPS: /api/me is 401 JSON without a session', async () => {
    const health = await https('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.issuer).toMatch(/Caddy Local Authority/);
    const me = await https('GET', '/api/me');
    expect(me.status).toBe(401);
    expect(JSON.parse(me.body)).toHaveProperty('error');
  }, 60_000);

  it('lets the admin log in and lists the fleet, read by serve inside through the Docker socket', async () => {
    const headers = await login();
    const me = await https('GET', '/api/me', { headers });
    expect(JSON.parse(me.body)).toMatchObject({ name: 'root', role: 'admin' });
    const fleet = await https('GET', '/api/fleet', { headers });
    expect(fleet.status, fleet.body).toBe(200);
    const body = JSON.parse(fleet.body) as { environments: { name: string }[] };
    expect(body.environments.map((e) => e.name)).toContain('ops');
    expect(fleet.body).toContain('slipway');
  }, 120_000);

  it('upgrades in place: a new release with zero failed requests, and the users are kept', async () => {
    let stop = false;
    const seen: number[] = [];
    const poll = (async () => {
      while (!stop) {
        seen.push((await https('GET', '/api/health').catch(() => ({ status: 0 }))).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const second = JSON.parse(await install(['--admin', 'root', '--json'])) as typeof first;
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await poll;
    expect(second.release).not.toBe(first.release);
    expect(log.join('')).toContain('there are users already; none created');
    console.log(
      `serve install upgrade: ${seen.length} health requests through the proxy, ${seen.filter((s) => s !== 200).length} failed; steps ${second.steps.map((s) => `${s.label} ${s.ms} ms`).join(', ')}`,
    );
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.filter((s) => s !== 200)).toEqual([]);
    const running = (await hostContainers(hostDocker(hosts, 'hostA'), p.project)).filter((c) => c.labels['slipway.app'] === 'slipway' && c.state === 'running');
    expect(running.map((c) => c.labels['slipway.release'])).toEqual([second.release]);
    const headers = await login();
    expect((await https('GET', '/api/me', { headers })).status).toBe(200);
  }, 900_000);
});
