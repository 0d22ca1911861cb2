// Validates the rendered proxy configs with the real tools: `nginx -t` and `caddy validate`, then
// runs each proxy for real on loopback in front of a tiny node upstream and checks proxying,
// basic auth, maintenance, rate limiting and the catch-all 404. nginx resolves upstream names at
// request time through a tiny DNS server started here (the stand-in for Docker's 127.0.0.11).
// Also runs the Postgres init SQL twice against a throwaway PostgreSQL cluster.
// Missing binaries make these tests fail (never skip): `bash scripts/host-packages.sh` installs them.
import { defaultTls } from '../src/config/fleet.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { accessSync, chmodSync, constants, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCaddy } from '../src/render/caddy.ts';
import { renderHtpasswd, renderNginx } from '../src/render/nginx.ts';
import { passwordVar, renderPostgresInitSqlFor } from '../src/render/sql.ts';
import { fixtureServer } from './fixtures/render-fixtures.ts';
import type { ServerState } from '../src/plan/desire/desired.ts';

const run = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const CADDY = '/usr/bin/caddy';
const PG_BIN = '/usr/lib/postgresql/15/bin';

function requireBinary(path: string, pkg: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing: these tests need the real tool. Install it with \`bash scripts/host-packages.sh\` (as root; or \`apt-get install ${pkg}\`).`,
    );
  }
}

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  tmpDirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ---- a tiny upstream that echoes what it received ----
interface Echo {
  url: string;
  headers: IncomingHttpHeaders;
}
async function startUpstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url ?? '', headers: req.headers } satisfies Echo));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

// ---- a tiny DNS server: A records for a fixed set of names -> 127.0.0.1 ----
async function startDns(names: Set<string>): Promise<{ socket: Socket; port: number; queries: string[] }> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let off = 12;
    const labels: string[] = [];
    while (off < msg.length && msg[off] !== 0) {
      const len = msg[off]!;
      labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii'));
      off += len + 1;
    }
    const qEnd = off + 5; // zero byte + qtype + qclass
    const name = labels.join('.').toLowerCase();
    const qtype = msg.readUInt16BE(off + 1);
    queries.push(name);
    const known = names.has(name);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8580 | (known ? 0 : 3), 2); // QR AA RD RA, NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(known && qtype === 1 ? 1 : 0, 6);
    const parts = [header, msg.subarray(12, qEnd)];
    if (known && qtype === 1) {
      const ans = Buffer.alloc(16);
      ans.writeUInt16BE(0xc00c, 0);
      ans.writeUInt16BE(1, 2); // A
      ans.writeUInt16BE(1, 4); // IN
      ans.writeUInt32BE(5, 6); // TTL
      ans.writeUInt16BE(4, 10);
      Buffer.from([127, 0, 0, 1]).copy(ans, 12);
      parts.push(ans);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, queries };
}

// ---- HTTP client helpers (no keep-alive, explicit Host) ----
interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}
function get(port: number, host: string, path = '/', auth?: string, tls = false): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const opts = { host: '127.0.0.1', port, path, headers, agent: false as const, servername: host, rejectUnauthorized: false };
    const req = (tls ? httpsRequest : httpRequest)(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout GET ${host}${path}`)));
    req.end();
  });
}

async function waitFor(what: string, proc: ChildProcess, logs: () => string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${logs()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up in 15s:\n${logs()}`);
}

/** Stops a process we started, by its PID, escalating to SIGKILL. */
async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  process.kill(proc.pid, 'SIGTERM');
  const t = setTimeout(() => proc.pid !== undefined && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

function spawnLogged(
  cmd: string,
  argv: string[],
  env?: NodeJS.ProcessEnv,
  extra: { uid?: number; gid?: number; cwd?: string } = {},
): { proc: ChildProcess; logs: () => string } {
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, ...extra });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  proc.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  return { proc, logs: () => out };
}

/** Runs a command with stdout discarded, collecting stderr. */
function runStderr(cmd: string, argv: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

async function bcrypt(plain: string): Promise<string> {
  const { stdout } = await run(CADDY, ['hash-password', '--plaintext', plain]);
  return stdout.trim();
}

/** Fixture routes pointing at the loopback upstream; ACME (`auto`) off: no traffic leaves loopback. */
function liveServer(upstreamHostPort: (upstream: string) => string): ServerState {
  const s = fixtureServer();
  for (const r of s.routes) {
    r.upstream = upstreamHostPort(r.upstream);
    if (r.tls.mode === 'auto') r.tls = defaultTls('off');
  }
  return s;
}

afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('nginx (real binary)', () => {
  it('nginx -t accepts the rendered config (unknown upstream hosts included)', async () => {
    requireBinary(NGINX, 'nginx caddy');
    const dir = tmp('nginx-t');
    mkdirSync(join(dir, 'tmp'));
    for (const [name, opts] of [
      ['plain.conf', {}],
      ['maint.conf', { maintenance: new Set(['api.example.com', 'api-staging.example.com']) }],
      // A move: held writes and forwards (plain and HTTPS targets) on the same routes.
      [
        'move.conf',
        {
          holdWrites: new Map([['api.example.com', 2]]),
          forward: new Map([
            ['api.example.com', '10.200.0.3:80'],
            ['site-staging.localhost', 'https://10.200.0.3:443'],
          ]),
        },
      ],
      // held_writes: wait: writes proxied to the target's proxy, reads served here.
      ['move-wait.conf', { waitWrites: new Map([['api.example.com', '10.200.0.3:80']]) }],
    ] as const) {
      const conf = renderNginx(fixtureServer(), { ...opts, pidFile: join(dir, 'nginx.pid'), tempDir: join(dir, 'tmp'), htpasswdDir: join(dir, 'htpasswd') });
      writeFileSync(join(dir, name), conf);
      // stdout is /dev/null (not a Node socket) so the default `access_log /dev/stdout` opens as in a container.
      const { code, stderr } = await runStderr(NGINX, ['-t', '-p', `${dir}/`, '-c', join(dir, name), '-e', 'stderr']);
      expect(stderr).toMatch(/syntax is ok/);
      expect(stderr).toMatch(/test is successful/);
      expect(code).toBe(0);
    }
  });

  describe('live on loopback', () => {
    let upstream: { server: Server; port: number };
    let dns: Awaited<ReturnType<typeof startDns>>;
    let nginx: ReturnType<typeof spawnLogged> | undefined;
    let port = 0;
    const pw = 'correct horse';

    beforeAll(async () => {
      requireBinary(NGINX, 'nginx caddy');
      requireBinary(CADDY, 'nginx caddy'); // for bcrypt hashes
      upstream = await startUpstream();
      const s = liveServer((u) => `${u.split(':')[0]}:${upstream.port}`); // names stay names, resolved by our DNS
      s.routes.find((r) => r.host === 'api.example.com')!.rateLimit = { rps: 2, burst: 3 };
      dns = await startDns(new Set(s.routes.map((r) => r.upstream.split(':')[0]!)));
      port = await freePort();
      const dir = tmp('nginx-live');
      mkdirSync(join(dir, 'htpasswd'));
      mkdirSync(join(dir, 'tmp'));
      // Workers run unprivileged (nobody when started as root): they must read the htpasswd file.
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'htpasswd', 'staging'), renderHtpasswd([{ user: 'qa', hash: await bcrypt(pw) }]), { mode: 0o644 });
      const conf = renderNginx(s, {
        listen: `127.0.0.1:${port}`,
        resolver: `127.0.0.1:${dns.port}`,
        pidFile: join(dir, 'nginx.pid'),
        tempDir: join(dir, 'tmp'),
        htpasswdDir: join(dir, 'htpasswd'),
        accessLog: 'off',
      });
      writeFileSync(join(dir, 'nginx.conf'), conf);
      nginx = spawnLogged(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;']);
      await waitFor('nginx', nginx.proc, nginx.logs, async () => (await get(port, 'nope.invalid')).status === 404);
    });

    afterAll(async () => {
      await stop(nginx?.proc);
      await new Promise<void>((r) => (upstream ? upstream.server.close(() => r()) : r()));
      dns?.socket.close();
    });

    it('proxies with the path untouched, proxy headers, and request-time DNS', async () => {
      const before = dns.queries.filter((q) => q === 'api-prod-web').length;
      const r = await get(port, 'api.example.com', '/a/%2Fb/../c?x=1&y=%20');
      expect(r.status).toBe(200);
      const echo = JSON.parse(r.body) as Echo;
      expect(echo.url).toBe('/a/%2Fb/../c?x=1&y=%20');
      expect(echo.headers.host).toBe('api.example.com');
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('http');
      expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(dns.queries.filter((q) => q === 'api-prod-web').length).toBeGreaterThan(before);
    });

    it('basic auth: 401 without or with wrong credentials, 200 with the right ones', async () => {
      expect((await get(port, 'api-staging.example.com')).status).toBe(401);
      expect((await get(port, 'api-staging.example.com', '/', 'qa:wrong')).status).toBe(401);
      expect((await get(port, 'api-staging.example.com', '/', `qa:${pw}`)).status).toBe(200);
    });

    it('maintenance returns 503 with Retry-After and never reaches the upstream', async () => {
      const r = await get(port, 'site.test', '/anything');
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('120');
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(r.body).toMatch(/maintenance/i);
    });

    it('unknown hosts get 404', async () => {
      expect((await get(port, 'unknown.example.org')).status).toBe(404);
    });

    it('rate limit answers 429 beyond the burst', async () => {
      // api.example.com is limited to 2 r/s, burst 3 in this live fixture (no bcrypt in the loop).
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await get(port, 'api.example.com')).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    });
  });
});

describe('caddy (real binary)', () => {
  const caddyEnv = (dir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
  });

  it('caddy validate accepts the rendered config', async () => {
    requireBinary(CADDY, 'nginx caddy');
    const dir = tmp('caddy-validate');
    const hash = await bcrypt('pw');
    for (const [name, opts] of [
      ['plain.json', {}],
      ['resolved.json', { resolveSecret: () => hash, maintenance: new Set(['api.example.com']) }],
      [
        'move.json',
        {
          resolveSecret: () => hash,
          holdWrites: new Map([['api.example.com', 2]]),
          forward: new Map([
            ['api.example.com', '10.200.0.3:80'],
            ['site-staging.localhost', 'https://10.200.0.3:443'],
          ]),
        },
      ],
      ['move-wait.json', { resolveSecret: () => hash, waitWrites: new Map([['api.example.com', '10.200.0.3:80']]) }],
    ] as const) {
      writeFileSync(join(dir, name), JSON.stringify(renderCaddy(fixtureServer(), opts)));
      const { stdout, stderr } = await run(CADDY, ['validate', '--config', join(dir, name)], { env: caddyEnv(dir) });
      expect(stdout + stderr).toMatch(/Valid configuration/);
    }
  });

  describe('live on loopback', () => {
    let upstream: { server: Server; port: number };
    let caddy: ReturnType<typeof spawnLogged> | undefined;
    let port = 0;
    let httpsPort = 0;
    const pw = 'battery staple';

    beforeAll(async () => {
      requireBinary(CADDY, 'nginx caddy');
      upstream = await startUpstream();
      [port, httpsPort] = [await freePort(), await freePort()];
      const adminPort = await freePort();
      const dir = tmp('caddy-live');
      const hash = await bcrypt(pw);
      // Caddy dials at request time with the system resolver, which we cannot point at a test DNS:
      // the live upstream is a literal loopback address.
      const s = liveServer(() => `127.0.0.1:${upstream.port}`);
      const cfg = renderCaddy(s, {
        listen: `127.0.0.1:${port}`,
        httpsListen: `127.0.0.1:${httpsPort}`,
        adminListen: `127.0.0.1:${adminPort}`,
        resolveSecret: (n) => (n === 'staging-auth-qa' ? hash : undefined),
      });
      writeFileSync(join(dir, 'caddy.json'), JSON.stringify(cfg));
      caddy = spawnLogged(CADDY, ['run', '--config', join(dir, 'caddy.json')], caddyEnv(dir));
      await waitFor('caddy', caddy.proc, caddy.logs, async () => (await get(port, 'nope.invalid')).status === 404);
      // The internal CA issues the staging certificate asynchronously.
      await waitFor(
        'caddy internal TLS',
        caddy.proc,
        caddy.logs,
        async () => (await get(httpsPort, 'api-staging.example.com', '/', undefined, true)).status === 401,
      );
    });

    afterAll(async () => {
      await stop(caddy?.proc);
      await new Promise<void>((r) => (upstream ? upstream.server.close(() => r()) : r()));
    });

    it('proxies with the path untouched and proxy headers', async () => {
      const r = await get(port, 'api.example.com', '/a/%2Fb/c?x=1&y=%20');
      expect(r.status).toBe(200);
      const echo = JSON.parse(r.body) as Echo;
      expect(echo.url).toBe('/a/%2Fb/c?x=1&y=%20');
      expect(echo.headers.host).toBe('api.example.com');
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('http');
      expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('basic auth over internal TLS: 401 without or wrong, 200 right, placeholder account locked', async () => {
      const h = 'api-staging.example.com';
      expect((await get(httpsPort, h, '/', undefined, true)).status).toBe(401);
      expect((await get(httpsPort, h, '/', 'qa:wrong', true)).status).toBe(401);
      expect((await get(httpsPort, h, '/', 'alice:', true)).status).toBe(401);
      const ok = await get(httpsPort, h, '/', `qa:${pw}`, true);
      expect(ok.status).toBe(200);
      expect((JSON.parse(ok.body) as Echo).headers['x-forwarded-proto']).toBe('https');
    });

    it('redirects plain HTTP to HTTPS for TLS hosts, before the catch-all 404', async () => {
      const r = await get(port, 'api-staging.example.com', '/x');
      expect(r.status).toBe(308);
      // Caddy 2.6 leaves the non-default HTTPS port out of the Location; in production it is 443.
      expect(r.headers.location).toMatch(/^https:\/\/api-staging\.example\.com(:\d+)?\/x$/);
    });

    it('maintenance returns 503 with Retry-After', async () => {
      const r = await get(port, 'site.test', '/anything');
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('120');
      expect(r.body).toMatch(/maintenance/i);
    });

    it('unknown hosts get 404', async () => {
      expect((await get(port, 'unknown.example.org')).status).toBe(404);
    });
  });
});

describe('postgres init SQL (real PostgreSQL 15)', () => {
  let pg: ReturnType<typeof spawnLogged> | undefined;
  let dir = '';
  let port = 0;
  /** initdb refuses to run as root: when we are root, PostgreSQL runs as the `postgres` user. */
  let ids: { uid: number; gid: number } | Record<string, never> = {};

  beforeAll(async () => {
    requireBinary(join(PG_BIN, 'initdb'), 'postgresql-15');
    dir = tmp('pg');
    if (process.getuid?.() === 0) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      ids = { uid, gid };
      chownSync(dir, uid, gid);
    }
    await run(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256'], { ...ids, cwd: dir });
    port = await freePort();
    pg = spawnLogged(join(PG_BIN, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], undefined, {
      ...ids,
      cwd: dir,
    });
    await waitFor('postgres', pg.proc, pg.logs, async () => readdirSync(dir).some((f) => f === `.s.PGSQL.${port}`));
  });

  afterAll(async () => {
    await stop(pg?.proc);
  });

  const psql = (args: string[], input: string, env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const p = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args], { env: { ...process.env, ...env } });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (out += c.toString()));
      p.on('close', (code) => resolve({ code: code ?? -1, out }));
      p.stdin.end(input);
    });

  it('creates roles and databases, runs again unchanged, and isolates environments', async () => {
    const server = fixtureServer();
    const sql = renderPostgresInitSqlFor(server, 'service/pg');
    const pws: Record<string, string> = { api_prod: "pr'od pw", api_staging: 'st:ag$ing' };
    const preamble = Object.entries(pws)
      .map(([db, v]) => `\\set ${passwordVar(db)} '${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'\n`)
      .join('');
    const su = ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres'];
    for (let i = 0; i < 2; i++) {
      const r = await psql(su, preamble + sql);
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toContain("pr'od pw");
    }
    const tcp = (user: string, db: string, pw: string) =>
      psql(['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-tAc', 'select current_user'], '', { PGPASSWORD: pw });
    const own = await tcp('api_prod', 'api_prod', pws.api_prod!);
    expect(own.code, own.out).toBe(0);
    expect(own.out.trim()).toBe('api_prod');
    const cross = await tcp('api_prod', 'api_staging', pws.api_prod!);
    expect(cross.code).not.toBe(0);
    expect(cross.out).toMatch(/permission denied/);
    const wrong = await tcp('api_staging', 'api_staging', 'nope');
    expect(wrong.code).not.toBe(0);
    // The owner can create tables in public; the schema grants nothing to PUBLIC.
    const ddl = await psql(['-h', '127.0.0.1', '-p', String(port), '-U', 'api_staging', '-d', 'api_staging', '-c', 'create table t(x int)'], '', {
      PGPASSWORD: pws.api_staging!,
    });
    expect(ddl.code, ddl.out).toBe(0);
    const acl = await psql([...su.slice(0, -1), 'api_staging', '-tAc', "select nspacl::text from pg_namespace where nspname='public'"], '');
    expect(acl.out).not.toMatch(/(^|[{,])=/);
  });

  it('fails loudly when a password variable is not set', async () => {
    const sql = renderPostgresInitSqlFor(fixtureServer(), 'service/pg');
    const r = await psql(['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres'], sql);
    expect(r.code).not.toBe(0);
  });
});
