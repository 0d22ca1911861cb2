// bench/serve.ts — what `slipway serve` costs, in one run, against its floor and against Dokploy.
// A fleet of 3 environments (dev, staging, prod) × 2 apps (web, api: nginx, 32 MiB each) runs on
// the local engine behind Caddy (project `benchserve`, kept between runs; remove it with
// `npx tsx bench/serve.ts --clean`). `slipway serve --dev --port 0 --json` is started as a child
// process — the CLI bundle of the current sources, built now and run as bin/slipway.mjs runs it
// (bench/lib/run-bundle.mjs; no fork: the child's PID is the server) — and, side by side at the
// same moments, a bare Node HTTP server (the floor any Node control plane pays). Printed:
//   - resident memory (VmRSS of /proc/PID/status) of both after --idle seconds without a request
//     (default 60), after the dashboard and API have been used (login, fleet view, every listing,
//     the pages under / when the dashboard is mounted), and once more after a short settle;
//     with the peak (VmHWM);
//   - p50/p99 latency of GET /api/fleet (the fleet view of the 3 × 2 fleet: status and backups
//     read from the engine) over --requests sequential requests (default 200), beside GET /api/me
//     (the HTTP stack and auth alone) on the same server;
//   - the page weight of the dashboard's fleet page: HTML + CSS + JS, raw and gzipped;
//   - the ratio against Dokploy's ~464 MB idle (Dokploy issue #3755), and the issue's ≤ 60 MB target.
// No thresholds: it prints numbers, and exits non-zero only if serve or the fleet fails.
// Run:  npx tsx bench/serve.ts [--idle SECONDS] [--requests N] [--clean]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import { bundleStaleness, ROOT } from '../bin/bundle.mjs';
import { ensureEngine, ensureImages } from '../test/harness/engine.ts';
import { cleanupProject, freePort } from '../test/support/project.ts';
import { LatencyHistogram } from './lib/stats.ts';

const PROJECT = 'benchserve';
const CACHE = `${ROOT}node_modules/.cache/slipway-bench-serve`;
const CLI_DIR = `${CACHE}/cli`;
const DATA = `${CACHE}/serve-data`;
const FLEET = join(CACHE, 'slipway.yaml');
const ENVS = ['dev', 'staging', 'prod'] as const;
const APPS = ['web', 'api'] as const;
const USER = 'bench';
const PASSWORD = 'bench serve passphrase 0123456789';
/** Dokploy's idle resident memory as its users report it (Dokploy issue #3755). */
const DOKPLOY_IDLE_MB = 464;
const TARGET_IDLE_MB = 60;

interface Options {
  idleS: number;
  requests: number;
  clean: boolean;
}

function args(argv: string[]): Options {
  const o: Options = { idleS: 60, requests: 200, clean: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--idle') o.idleS = Number(argv[++i]);
    else if (a === '--requests') o.requests = Number(argv[++i]);
    else if (a === '--clean') o.clean = true;
    else throw new Error(`unknown option ${a} (use --idle SECONDS, --requests N, --clean)`);
  }
  if (!(o.idleS >= 0) || !(o.requests >= 1)) throw new Error('--idle must be >= 0 and --requests >= 1');
  return o;
}

const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ') + ` (${availableParallelism()} CPUs)`;

function fleetYaml(httpPort: number): string {
  const apps = APPS.map(
    (a) => `  ${a}:
    image: nginx:1.27
    processes:
      web: { port: 80, health: /, memory: 32MiB }`,
  ).join('\n');
  return `# bench/serve.ts: 3 environments × 2 apps on the local engine
project: ${PROJECT}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${httpPort} }
environments:
${ENVS.map((e) => `  ${e}: { server: local, deploy: any, domain: "{app}-${e}.localhost", tls: "off" }`).join('\n')}
apps:
${apps}
`;
}

/** The CLI as a child process, to completion (setting up the fleet). */
function cliOk(bundle: string | undefined, argv: string[]): string {
  const r = spawnSync(process.execPath, [...entry(bundle), ...argv], { cwd: CACHE, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`slipway ${argv.join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const entry = (bundle: string | undefined) => (bundle ? [`${ROOT}bench/lib/run-bundle.mjs`, bundle] : [`${ROOT}bin/slipway.mjs`]);

function buildCli(): { bundle?: string; says: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [`${ROOT}scripts/build-cli.mjs`, CLI_DIR], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0 && !out.includes('could not prebuild') && existsSync(`${CLI_DIR}/slipway.cjs`))
    return { bundle: `${CLI_DIR}/slipway.cjs`, says: `a bundle of the current sources, built now (${ms(performance.now() - t)})` };
  const stale = bundleStaleness();
  return {
    says: `bin/slipway.mjs (the bundle could not be built: ${out.split('\n')[0]}); it runs ${stale === undefined ? 'dist/slipway.cjs' : 'the SOURCES THROUGH TSX, so RSS includes the TypeScript loader'}`,
  };
}

/** Every app × environment running (deploys those that are not). */
async function ensureFleet(bundle: string | undefined): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(FLEET)) writeFileSync(FLEET, fleetYaml(await freePort()));
  cliOk(bundle, ['up']);
  const docker = new Docker();
  for (const env of ENVS)
    for (const app of APPS) {
      const label = [`slipway.project=${PROJECT}`, `slipway.app=${app}`, `slipway.env=${env}`];
      const running = await docker.listContainers({ filters: { label, status: ['running'] } });
      if (running.length === 0) cliOk(bundle, ['deploy', app, env, '--drain', '0']);
    }
}

interface Proc {
  child: ChildProcess;
  pid: number;
  url: string;
  stderr: () => string;
}

/** Waits for the first stdout line (serve --json prints `{ url }`; the floor prints its URL). */
function started(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      if (!out.startsWith('{')) return resolve(out.split('\n')[0]!.trim());
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        // the JSON document is not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code} before listening\n${out}${err}`)));
  });
}

async function startServe(bundle: string | undefined): Promise<Proc> {
  const child = spawn(process.execPath, [...entry(bundle), 'serve', '--dev', '--port', '0', '--json', '--data', DATA, '--admin', USER], {
    cwd: CACHE,
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await started(child, 'slipway serve');
  return { child, pid: child.pid!, url, stderr: () => err };
}

/** The floor: a bare Node HTTP server on loopback, doing nothing. */
async function startFloor(): Promise<Proc> {
  const script = `const s = require('node:http').createServer((q, r) => r.end('ok')); s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await started(child, 'the floor');
  return { child, pid: child.pid!, url, stderr: () => '' };
}

/** VmRSS and VmHWM (KiB) of a process, following it to a child node process if it forked one. */
function memory(pid: number): { rss: number; hwm: number; anon: number; pid: number } {
  const real = serverPid(pid);
  const status = readFileSync(`/proc/${real}/status`, 'utf8');
  const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), pid: real };
}

/** The process that serves: `pid` itself, unless it only waits on a node child (a wrapper that forked). */
function serverPid(pid: number): number {
  const children = existsSync(`/proc/${pid}/task/${pid}/children`)
    ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    : [];
  const nodeChild = children.find((c) => {
    try {
      return /node/.test(readFileSync(`/proc/${c}/comm`, 'utf8'));
    } catch {
      return false;
    }
  });
  return nodeChild ? serverPid(Number(nodeChild)) : pid;
}

async function login(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: USER, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}

async function timedGets(url: string, path: string, headers: Record<string, string>, n: number, h = new LatencyHistogram()): Promise<LatencyHistogram> {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    h.record(performance.now() - t);
  }
  return h;
}

/** The other API listings the dashboard reads (those this build has; 404: not mounted). */
async function useApi(url: string, headers: Record<string, string>): Promise<string[]> {
  const paths = ['/api/me', '/api/audit', '/api/tokens', '/api/schedules', '/api/certs', '/api/locks', '/api/servers', '/api/alerts', '/api/jobs'];
  for (const e of ENVS) paths.push(`/api/envs/${e}/backups`, `/api/envs/${e}/releases?app=web`);
  const answered: string[] = [];
  for (const p of paths) {
    const res = await fetch(`${url}${p}`, { headers });
    await res.arrayBuffer();
    answered.push(`${p} ${res.status}`);
  }
  return answered;
}

interface PageWeight {
  path: string;
  html: number;
  assets: { path: string; bytes: number; gzip: number }[];
  raw: number;
  gzip: number;
}

/** The dashboard's fleet page (`/`, following redirects) with the stylesheets and scripts it links; undefined when no page is mounted. */
async function pageWeight(url: string, headers: Record<string, string>, paths: string[]): Promise<PageWeight | undefined> {
  for (const path of paths) {
    const res = await fetch(`${url}${path}`, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').includes('text/html')) continue;
    const html = body.toString('utf8');
    const refs = new Set<string>();
    for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
      const tag = m[0];
      const href = /\bhref="([^"]+)"/i.exec(tag)?.[1];
      if (href && /\brel="?(stylesheet|modulepreload|preload)/i.test(tag)) refs.add(href);
    }
    for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi)) refs.add(m[1]!);
    const assets: PageWeight['assets'] = [];
    for (const ref of refs) {
      const a = await fetch(new URL(ref, `${url}${path}`), { headers });
      const bytes = Buffer.from(await a.arrayBuffer());
      if (a.status === 200) assets.push({ path: ref, bytes: bytes.length, gzip: gzipSync(bytes).length });
    }
    const raw = body.length + assets.reduce((s, a) => s + a.bytes, 0);
    const gzip = gzipSync(body).length + assets.reduce((s, a) => s + a.gzip, 0);
    return { path: new URL(res.url).pathname, html: body.length, assets, raw, gzip };
  }
  return undefined;
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  await ensureEngine();
  if (o.clean) {
    await cleanupProject(PROJECT);
    rmSync(CACHE, { recursive: true, force: true });
    console.log(`removed project ${PROJECT} and ${CACHE}`);
    return;
  }
  await ensureImages(['caddy', 'nginx']);
  const cli = buildCli();
  console.log(`slipway: ${cli.says}`);
  const t0 = performance.now();
  await ensureFleet(cli.bundle);
  console.log(`fleet: ${ENVS.length} environments × ${APPS.length} apps on the local engine, ready in ${ms(performance.now() - t0)}`);
  rmSync(DATA, { recursive: true, force: true });

  const serve = await startServe(cli.bundle);
  const floor = await startFloor();
  let failed = false;
  try {
    const real = serverPid(serve.pid);
    console.log(
      `serve: ${serve.url} (pid ${real}${real !== serve.pid ? `, forked from ${serve.pid}` : ''}); floor: a bare node:http server (pid ${floor.pid})`,
    );
    const atStart = { serve: memory(serve.pid), floor: memory(floor.pid) };
    console.log(`idle for ${o.idleS} s, no request …`);
    await sleep(o.idleS * 1000);
    const idle = { serve: memory(serve.pid), floor: memory(floor.pid) };

    const headers = await login(serve.url);
    const answered = await useApi(serve.url, headers);
    const page = await pageWeight(serve.url, headers, ['/', '/fleet']);
    // Warm up, then the measured runs, fleet view and /api/me alternating in blocks of 20 so both share the machine's noise.
    await timedGets(serve.url, '/api/fleet', headers, 10);
    const fleetH = new LatencyHistogram();
    const meH = new LatencyHistogram();
    for (let done = 0; done < o.requests; done += 20) {
      const n = Math.min(20, o.requests - done);
      await timedGets(serve.url, '/api/fleet', headers, n, fleetH);
      await timedGets(serve.url, '/api/me', headers, n, meH);
    }
    const fleetBody = (await (await fetch(`${serve.url}/api/fleet`, { headers })).json()) as { environments: unknown[]; processes: unknown[] };
    const used = { serve: memory(serve.pid), floor: memory(floor.pid) };
    await sleep(10_000);
    const settled = { serve: memory(serve.pid), floor: memory(floor.pid) };

    console.log('');
    console.log('resident memory (VmRSS)           slipway serve   bare node:http   serve - floor');
    const row = (label: string, m: { serve: { rss: number }; floor: { rss: number } }) =>
      console.log(`  ${label.padEnd(32)} ${mb(m.serve.rss).padStart(13)}   ${mb(m.floor.rss).padStart(14)}   ${mb(m.serve.rss - m.floor.rss).padStart(13)}`);
    row('just listening', atStart);
    row(`idle ${o.idleS} s`, idle);
    row('after the dashboard/API was used', used);
    row('10 s later', settled);
    console.log(`  peak (VmHWM) of serve: ${mb(settled.serve.hwm)}; of the floor: ${mb(settled.floor.hwm)}`);
    // RSS counts the pages of the node binary it touched (shared with every node process, and the
    // same for any Node control plane); RssAnon is what this process alone holds.
    console.log(`  private (RssAnon) idle: serve ${mb(idle.serve.anon)}, floor ${mb(idle.floor.anon)}; after use: serve ${mb(used.serve.anon)}`);
    const idleMb = idle.serve.rss / 1024;
    console.log(
      `  idle against Dokploy's ~${DOKPLOY_IDLE_MB} MB (issue #3755): ${idleMb.toFixed(1)} MB = ${((idleMb / DOKPLOY_IDLE_MB) * 100).toFixed(1)} % of it (${(DOKPLOY_IDLE_MB / idleMb).toFixed(1)}x less); target <= ${TARGET_IDLE_MB} MB: ${idleMb <= TARGET_IDLE_MB ? 'met' : `OVER by ${(idleMb - TARGET_IDLE_MB).toFixed(1)} MB`}`,
    );
    console.log('');
    const f = fleetH.summary();
    const m = meH.summary();
    console.log(`latency over ${fleetH.count} sequential requests each (alternating blocks of 20):`);
    console.log(
      `  GET /api/fleet (${fleetBody.environments.length} environments, ${fleetBody.processes.length} processes): p50 ${ms(f.p50)}  p99 ${ms(f.p99)}  max ${ms(f.max)}`,
    );
    console.log(`  GET /api/me (HTTP stack + auth only):            p50 ${ms(m.p50)}  p99 ${ms(m.p99)}  max ${ms(m.max)}`);
    console.log('');
    if (page) {
      console.log(`dashboard page weight (${page.path}: HTML + the CSS and JS it links):`);
      console.log(`  HTML ${kb(page.html)}; ${page.assets.map((a) => `${a.path} ${kb(a.bytes)}`).join('; ') || 'no linked assets'}`);
      console.log(`  total ${kb(page.raw)} raw, ${kb(page.gzip)} gzipped`);
    } else console.log('dashboard page weight: no page under / or /fleet answers HTML in this build (the dashboard is not mounted yet)');
    console.log(`API answers while "using" the dashboard: ${answered.join(', ')}`);
    console.log(`  load average at the end: ${load()}`);
  } catch (e) {
    failed = true;
    console.error(`${(e as Error).message}\nserve's log:\n${serve.stderr()}`);
  } finally {
    serve.child.kill('SIGTERM');
    floor.child.kill('SIGTERM');
    await new Promise((r) => serve.child.once('exit', r));
  }
  if (failed) process.exitCode = 1;
}

await main();
