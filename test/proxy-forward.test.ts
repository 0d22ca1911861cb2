// A move's proxy overrides on the real engine, behind each real proxy: two projects on the local
// engine serve the same host (x.localhost) from their own proxy on their own HTTP port, one behind
// nginx (environment green), one behind Caddy (environment blue). On proxy A, holding writes
// answers a POST 503 with Retry-After while a GET still reaches A's app; forwarding to proxy B
// (through the host's 10.200.0.1 and B's published port) makes every GET answer from B's app, and
// switching it on under keep-alive GET load fails no request (the proxy reloads gracefully; a
// request that meets an idle close is sent again, as clients do). The
// overrides outlive a proxy recreate by `up`, and removing them serves A's app again.
// Then the same with Caddy as A and nginx as B.
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../src/config/load.ts';
import { openSession, type FleetSession } from '../src/workflows/fleet-session.ts';
import { readOverrides, setOverrides } from '../src/workflows/proxy-overrides.ts';
import type { ServerRun } from '../src/workflows/server-run.ts';
import { request } from 'node:http';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipwayOk } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { summary, underLoad } from './support/zd-load.ts';

const HOST = 'x.localhost';
/** The host as the proxies' containers reach it (its address on the simulated hosts' bridge). */
const HOST_ADDR = '10.200.0.1';
const CONNECTIONS = 10;

type ProxyKind = 'nginx' | 'caddy';

interface Side {
  p: TestProject;
  port: number;
  env: string;
  session?: FleetSession;
}

function fleetYaml(project: string, proxy: ProxyKind, port: number, env: string): string {
  return `project: ${project}
servers:
  local: { local: true, memory: 8GiB, cpus: 2, proxy: ${proxy}, http_port: ${port} }
environments:
  ${env}: { server: local, deploy: any, domain: "{app}.localhost", tls: "off" }
apps:
  x:
    git: { repo: ., context: examples/apps/echo }
    processes:
      web: { command: "node server.js", port: 8000, health: { path: /health, interval: 1s, retries: 8 }, memory: 128MiB }
`;
}

function post(port: number, host: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/orders', method: 'POST', headers: { Host: host, 'content-type': 'application/json' }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`POST http://${host}/orders timed out`)));
    req.on('error', reject);
    req.end('{"n":1}');
  });
}

/** The echo app's environment in a response body. */
const envOf = (body: string): string => (JSON.parse(body) as { env: string }).env;

async function runOf(side: Side): Promise<ServerRun> {
  if (!side.session) {
    const loaded = loadFleet(join(side.p.dir, 'slipway.yaml'));
    if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
    side.session = await openSession({ stderr: { write: () => {} }, now: Date.now, cwd: side.p.dir }, loaded.fleet, ['local'], { json: true });
  }
  return side.session.runs.get('local')!;
}

const sides: Partial<Record<ProxyKind, Side>> = {};
let t0 = 0;

beforeAll(async () => {
  t0 = Date.now();
  await ensureEngine();
  await ensureImages(['node', 'caddy', 'nginx']);
  for (const [kind, env] of [
    ['nginx', 'green'],
    ['caddy', 'blue'],
  ] as const) {
    const p = makeProject(`pf${kind.slice(0, 2)}`);
    const port = await freePort();
    p.writeFleet(fleetYaml(p.project, kind, port, env));
    sides[kind] = { p, port, env };
  }
  await Promise.all(Object.values(sides).map((s) => slipwayOk(['deploy', 'x', s.env], { cwd: s.p.dir })));
  console.log(`[pf] two fleets deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  for (const s of Object.values(sides)) {
    await s.session?.close();
    await cleanupProject(s.p.project, s.p.dir);
  }
  console.log(`[pf] total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

describe.each([
  ['nginx', 'caddy'],
  ['caddy', 'nginx'],
] as const)('proxy A %s, forwarding to proxy B %s', (aKind, bKind) => {
  const a = () => sides[aKind]!;
  const b = () => sides[bKind]!;

  it('holds writes: a POST gets 503 with Retry-After, a GET reaches A’s app', async () => {
    expect(envOf((await post(a().port, HOST)).body)).toBe(a().env); // writes pass before
    const run = await runOf(a());
    expect(await setOverrides(run, [HOST], { holdWrites: { retryAfterS: 2 } })).toEqual({ reloaded: true });
    const w = await post(a().port, HOST);
    expect(w.status, w.body).toBe(503);
    expect(w.headers['retry-after']).toBe('2');
    expect(w.body).toMatch(/paused/);
    const r = await get(a().port, HOST, '/');
    expect(r.status).toBe(200);
    expect(envOf(r.body)).toBe(a().env);
    console.log(`[pf] ${aKind}: POST ${w.status} Retry-After ${w.headers['retry-after']}, GET ${r.status} from ${envOf(r.body)}`);
  });

  // Switching the forward on reloads the proxy. nginx's old workers close their idle keep-alive
  // connections on a reload, and a request sent at that instant meets a closed socket (an
  // HTTP/1.1 race, RFC 9112 §9.3.1); the clients here send such a request again, as browsers and
  // HTTP libraries do, and the summary prints how many were. Any other failure counts.
  it('forwards to B under keep-alive GET load without a failed request; writes stay held', async () => {
    const run = await runOf(a());
    const { result, report } = await underLoad(
      a().port,
      HOST,
      CONNECTIONS,
      async () => {
        await new Promise((r) => setTimeout(r, 1000));
        const res = await setOverrides(run, [HOST], { forward: { to: `${HOST_ADDR}:${b().port}` } });
        await new Promise((r) => setTimeout(r, 1500));
        return res;
      },
      { retryIdleClose: true },
    );
    expect(result).toEqual({ reloaded: true });
    const byEnv: Record<string, number> = {};
    for (const [body, n] of Object.entries(report.bodies)) {
      const env = /"env":"([^"]+)"/.exec(body)?.[1] ?? body.slice(0, 40);
      byEnv[env] = (byEnv[env] ?? 0) + n;
    }
    const line = `${summary(`${aKind}→${bKind} forward on`, report)}, answered by ${JSON.stringify(byEnv)}`;
    console.log(line);
    expect(report.requests, line).toBeGreaterThan(0);
    expect(report.non2xx, line).toEqual({});
    expect(report.connectErrors, line).toBe(0);
    expect(report.timeouts, line).toBe(0);
    expect(report.readErrors, line).toBe(0);
    // The switch happened under load: A's app, then B's.
    expect(Object.keys(byEnv).sort(), line).toEqual([a().env, b().env].sort());

    const r = await get(a().port, HOST, '/');
    expect(r.status).toBe(200);
    expect(envOf(r.body)).toBe(b().env);
    const w = await post(a().port, HOST);
    expect(w.status).toBe(503);
    expect(w.headers['retry-after']).toBe('2');
    expect(await readOverrides(run)).toEqual({ holdWrites: { [HOST]: { retryAfterS: 2 } }, forward: { [HOST]: { to: `${HOST_ADDR}:${b().port}` } } });
  });

  it('keeps the overrides when `up` recreates the proxy', async () => {
    const docker = new Docker();
    const [proxy] = await docker.listContainers({ all: true, filters: { label: [`slipway.project=${a().p.project}`, 'slipway.role=proxy'] } });
    expect(proxy).toBeDefined();
    await docker.getContainer(proxy!.Id).remove({ force: true });
    await slipwayOk(['up'], { cwd: a().p.dir });
    const r = await get(a().port, HOST, '/');
    expect(r.status).toBe(200);
    expect(envOf(r.body)).toBe(b().env);
    expect((await post(a().port, HOST)).status).toBe(503);
  }, 120_000);

  it('removing both serves A’s app again, writes included', async () => {
    const run = await runOf(a());
    await setOverrides(run, [HOST], { holdWrites: null, forward: null });
    expect(await readOverrides(run)).toEqual({ holdWrites: {}, forward: {} });
    const r = await get(a().port, HOST, '/');
    expect(envOf(r.body)).toBe(a().env);
    const w = await post(a().port, HOST);
    expect(w.status).toBe(200);
    expect(envOf(w.body)).toBe(a().env);
  });
});
