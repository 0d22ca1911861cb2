// bench/lib/proxy-auth-rig.ts — the real nginx or Caddy on loopback, with Slipway's rendered config
// for two hosts of one server: prod.localhost (public) and staging.localhost (basic auth, user
// `team`), in front of a static upstream (an nginx answering "ok"). Used by bench/proxy-auth.ts and
// test/proxy-auth.test.ts. Processes run in the foreground, are stopped by their PID, and their
// temporary directories are removed.
import { defaultTls } from '../../src/config/fleet.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route, ServerState } from '../../src/plan/desire/desired.ts';
import { renderCaddy } from '../../src/render/caddy.ts';
import { renderHtpasswd, renderNginx } from '../../src/render/nginx.ts';
import type { Secret } from '../../src/util/secret.ts';

export const NGINX = '/usr/sbin/nginx';
export const CADDY = '/usr/bin/caddy';
export const OPEN_HOST = 'prod.localhost';
export const AUTH_HOST = 'staging.localhost';
export const AUTH_USER = 'team';
export const AUTH_SECRET = 'basic-auth-staging';

export type ProxyName = 'nginx' | 'caddy';

export interface ProxyRigOptions {
  proxy: ProxyName;
  /** The verifier the proxy gets for the staging password (the scheme under test). */
  verifier: (secretName: string, password: Secret) => string;
  password: Secret;
  /** Caddy only: remove the renderer's unknown-user guard (the config as rendered before it existed). */
  withoutUserGuard?: boolean;
}

export interface Running {
  port: number;
  logs(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  // nginx workers run as nobody when started as root: they read the htpasswd files below.
  chmodSync(dir, 0o755);
  return dir;
}

/** GET `host` on loopback `port` (no keep-alive); resolves with the status, or rejects. */
export function status(port: number, host: string, authorization?: string | string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { host };
    if (authorization !== undefined) headers.authorization = authorization;
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout GET ${host}`)));
    req.end();
  });
}

export const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function spawnProcess(what: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv, dir: string, port: number): Promise<Running> {
  const proc: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let failed: Error | undefined;
  proc.on('error', (e: NodeJS.ErrnoException) => {
    failed = e.code === 'ENOENT' ? new Error(`${cmd} is missing: install it with \`bash scripts/host-packages.sh\``) : e;
  });
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-20_000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      process.kill(proc.pid, 'SIGTERM');
      const t = setTimeout(() => proc.exitCode === null && proc.pid !== undefined && process.kill(proc.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const running: Running = { port, logs: () => out, stop };
  return (async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (failed) {
        rmSync(dir, { recursive: true, force: true });
        throw failed;
      }
      if (proc.exitCode !== null) break;
      if ((await status(port, 'nope.invalid').catch(() => 0)) === 404) return running;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`${what} did not come up:\n${out}`);
  })();
}

function nginxArgv(dir: string): string[] {
  return ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'];
}

/** An nginx that answers 200 "ok" to everything (404 for Host nope.invalid, the readiness probe). */
export async function startUpstream(): Promise<Running> {
  const dir = tempDir('auth-upstream');
  const port = await freePort();
  const conf = [
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/${k};`),
    `  server { listen 127.0.0.1:${port} default_server; return 200 "ok\\n"; }`,
    `  server { listen 127.0.0.1:${port}; server_name nope.invalid; return 404; }`,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return spawnProcess('upstream nginx', NGINX, nginxArgv(dir), process.env, dir, port);
}

function server(upstreamPort: number, proxy: ProxyName): ServerState {
  const route = (host: string, env: string, auth: boolean): Route => ({
    host,
    env,
    app: 'web',
    upstream: `127.0.0.1:${upstreamPort}`,
    tls: defaultTls('off'),
    basicAuth: auth ? [{ user: AUTH_USER, secret: AUTH_SECRET }] : null,
    rateLimit: null,
    maintenance: false,
  });
  return {
    server: 'bench',
    proxy,
    networks: [],
    volumes: [],
    containers: [],
    routes: [route(OPEN_HOST, 'prod', false), route(AUTH_HOST, 'staging', true)],
    databases: [],
    redisDbs: [],
    budget: { reservedMemory: 0, lines: [] },
  };
}

/** Removes the unknown-user guard (a `subroute` before `authentication`) from a rendered Caddy config. */
function dropUserGuard(cfg: Record<string, unknown>): void {
  // biome-ignore lint/suspicious/noExplicitAny: walking rendered JSON
  const servers = (cfg as any).apps.http.servers as Record<string, { routes: { handle?: { handler: string }[] }[] }>;
  for (const s of Object.values(servers)) for (const r of s.routes) if (r.handle) r.handle = r.handle.filter((h) => h.handler !== 'subroute');
}

/** The proxy with Slipway's rendered config in front of `upstreamPort`. */
export async function startProxy(opts: ProxyRigOptions, upstreamPort: number): Promise<Running> {
  const dir = tempDir(`auth-${opts.proxy}`);
  const port = await freePort();
  const state = server(upstreamPort, opts.proxy);
  if (opts.proxy === 'nginx') {
    for (const d of ['htpasswd', 'tmp']) mkdirSync(join(dir, d));
    const hash = opts.verifier(AUTH_SECRET, opts.password);
    writeFileSync(join(dir, 'htpasswd', 'staging'), renderHtpasswd([{ user: AUTH_USER, hash }]), { mode: 0o644 });
    const conf = renderNginx(state, {
      listen: `127.0.0.1:${port}`,
      resolver: '127.0.0.1',
      pidFile: join(dir, 'nginx.pid'),
      tempDir: join(dir, 'tmp'),
      htpasswdDir: join(dir, 'htpasswd'),
      accessLog: 'off',
    });
    writeFileSync(join(dir, 'nginx.conf'), conf);
    return spawnProcess('nginx', NGINX, nginxArgv(dir), process.env, dir, port);
  }
  const cfg = renderCaddy(state, {
    listen: `127.0.0.1:${port}`,
    adminListen: `127.0.0.1:${await freePort()}`,
    resolveSecret: (name) => (name === AUTH_SECRET ? opts.verifier(name, opts.password) : undefined),
  });
  if (opts.withoutUserGuard) dropUserGuard(cfg);
  writeFileSync(join(dir, 'caddy.json'), JSON.stringify(cfg));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  return spawnProcess('caddy', CADDY, ['run', '--config', join(dir, 'caddy.json')], env, dir, port);
}
