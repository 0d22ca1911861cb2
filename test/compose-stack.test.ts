// Seed 002 re-enacted on the real engine, with the real CLI: the odyssey stack (test/fixtures/
// odyssey-stack: 12 compose services — Postgres, Redis, a `service_completed_successfully`
// migration job, an API gateway reading a bind-mounted routes file, auth, user-management,
// booking, notification, search, a worker, a Keycloak look-alike with `user` and `ulimits`, a
// public front-end; networks internal and db (`internal: true`) and public) is deployed unchanged
// as `qual` and `prod` side by side on one server. Then seed 002's verification checklist runs as
// assertions:
// - no duplicate container, volume or network names; each environment has its own;
// - services call each other by compose name from their code and from the bind-mounted config
//   file, and every call lands in the caller's environment;
// - every endpoint answers through the proxy; Docker reports every health check healthy;
// - qual cannot reach prod (names, addresses, the database), nor prod qual;
// - the migration job ran once per environment and is not left restarting;
// - segmentation: the public front-end can neither resolve nor reach Postgres or Redis.
// Then prod is redeployed (new release; Postgres's command changed, Redis unchanged) under
// keep-alive load through the proxy while a writer inserts rows into prod's bookings table:
// - no request fails; every acknowledged row is still there;
// - at no moment do two containers run on one data volume (from the engine's event stream);
// - Postgres was replaced (its spec changed), Redis was not (it did not).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadReport, startLoad } from '../bench/lib/load.ts';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { REPO, slipwayOk } from './support/cli.ts';
import { execIn } from './support/container-exec.ts';
import { get } from './support/http.ts';
import { type PgWriterReport, startPgWriter } from './support/pg-writer.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { type VolumeWatchReport, volumeRuns, watchVolumes } from './support/volume-watch.ts';

const ENVS = ['qual', 'prod'] as const;
type Env = (typeof ENVS)[number];
const other = (e: Env): Env => (e === 'qual' ? 'prod' : 'qual');
const APP = 'odyssey';

/** Every compose service but the one-off migration job runs as a long-lived process. */
const LONG_RUNNING = [
  'api-gateway',
  'auth-service',
  'booking-service',
  'keycloak',
  'notification-service',
  'postgres',
  'public-fo',
  'redis',
  'search-service',
  'user-management',
  'worker',
];
/** The processes whose compose service has a health check (the worker disables its own). */
const HEALTH_CHECKED = LONG_RUNNING.filter((s) => s !== 'worker');
/** Each Node service's port and the calls its code makes (services/server.js). */
const PORTS: Record<string, number> = { 'api-gateway': 8080, keycloak: 8080 };
const portOf = (process: string) => PORTS[process] ?? 3000;
const CODE_CALLS: Record<string, string[]> = {
  'public-fo': ['http://api-gateway:8080/'],
  'auth-service': ['http://keycloak:8080/'],
  'user-management': ['redis://redis:6379'],
  'booking-service': ['http://user-management:3000/', 'http://notification-service:3000/'],
  'notification-service': ['redis://redis:6379'],
  'search-service': ['http://booking-service:3000/'],
  'api-gateway': ['http://auth-service:3000/'],
};
/** The gateway's bind-mounted config/routes.json: upstream name → the service that answers. */
const ROUTES: Record<string, string> = {
  auth: 'auth',
  users: 'users',
  booking: 'booking',
  notifications: 'notify',
  identity: 'keycloak',
  search: 'search',
};
const FRONT = (env: Env) => `${APP}-${env}.localhost`;
const GATEWAY = (env: Env) => `api-${env}.localhost`;
const KEYCLOAK = (env: Env) => `auth-${env}.localhost`;
/** A resolver error code, never an address. */
const NOT_RESOLVED = /^E[A-Z_]+$/;

let p: TestProject;
let port: number;
const docker = new Docker();
/** The deploy's printed output (stdout and stderr) per environment (it names the migration task). */
const deployed: Partial<Record<Env, string>> = {};

function fleet(project: string, httpPort: number): string {
  return `project: ${project}
servers:
  local: { local: true, http_port: ${httpPort} }
environments:
  qual: { server: local, tls: "off", domain: "{app}-{env}.localhost" }
  prod: { server: local, tls: "off", domain: "{app}-{env}.localhost" }
apps:
  ${APP}:
    compose: docker-compose.yml
    processes:
      public-fo: { web: true }
      api-gateway: { domains: "api-{env}.localhost" }
      keycloak: { domains: "auth-{env}.localhost" }
`;
}

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's inspect JSON, read field by field
type Json = Record<string, any>;

/** The app containers of one environment (running only, unless `all`). */
async function appContainers(env: Env, opts: { process?: string; all?: boolean } = {}): Promise<Docker.ContainerInfo[]> {
  const label = [`slipway.project=${p.project}`, 'slipway.role=app', `slipway.app=${APP}`, `slipway.env=${env}`];
  if (opts.process) label.push(`slipway.process=${opts.process}`);
  return docker.listContainers({ all: opts.all ?? false, filters: { label } });
}

/** The running container of one process in one environment. */
async function containerOf(env: Env, process: string): Promise<Json> {
  const list = await appContainers(env, { process });
  expect(
    list.map((c) => c.Names[0]),
    `${env}/${process}`,
  ).toHaveLength(1);
  return docker.getContainer(list[0]!.Id).inspect();
}

const nameOf = (c: Json) => String(c.Name).replace(/^\//, '');
const netName = (env: Env, network: string) => `${p.project}-${env}-${APP}-${network}`;

/** A process's address on one of its networks (compose network name, or a full network name). */
async function addressOf(env: Env, process: string, network: string): Promise<string> {
  const c = await containerOf(env, process);
  const nets = c.NetworkSettings.Networks as Record<string, { IPAddress: string }>;
  const ip = (nets[netName(env, network)] ?? nets[network])?.IPAddress;
  if (!ip) throw new Error(`${env}/${process} is not on ${network}: ${Object.keys(nets).join(', ')}`);
  return ip;
}

/** GET http://127.0.0.1:PORT/PATH from inside a process's container (what its own code sees). */
async function ask(env: Env, process: string, path: string): Promise<Json> {
  const c = await containerOf(env, process);
  const url = `http://127.0.0.1:${portOf(process)}${path}`;
  const r = await execIn(docker, nameOf(c), [
    'node',
    '-e',
    `require('http').get(${JSON.stringify(url)}, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(b)); })`,
  ]);
  expect(r.exitCode, `${env}/${process} ${path}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

/** GET through the proxy; the JSON body of a 200. */
async function viaProxy(host: string, path: string): Promise<Json> {
  const r = await get(port, host, path);
  expect(r.status, `${host}${path}: ${r.body}`).toBe(200);
  return JSON.parse(r.body);
}

/** A query in one environment's Postgres, as its owner, through psql in the database's container. */
async function psql(env: Env, sql: string): Promise<string> {
  const c = await containerOf(env, 'postgres');
  const r = await execIn(docker, nameOf(c), ['psql', '-At', '-U', 'odyssey', '-d', 'odyssey', '-c', sql]);
  expect(r.exitCode, `${env} psql ${sql}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/** Which containers hold an address, on which networks, engine-wide (a diagnostic). */
async function whoHas(ip: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await docker.listNetworks()) {
    const info = (await docker
      .getNetwork(n.Id)
      .inspect()
      .catch(() => undefined)) as Json | undefined;
    const subnet = (info?.IPAM?.Config ?? []).map((c: Json) => c.Subnet).join(',');
    for (const c of Object.values((info?.Containers ?? {}) as Record<string, Json>))
      if (String(c.IPv4Address).split('/')[0] === ip) out.push(`${info!.Name} (${subnet}, internal ${info!.Internal}): ${c.Name}`);
  }
  return out;
}

async function redisCli(env: Env, args: string[]): Promise<string> {
  const c = await containerOf(env, 'redis');
  return (await execIn(docker, nameOf(c), ['redis-cli', ...args])).stdout.trim();
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'caddy', 'postgres15', 'redis']);
  p = makeProject('odys');
  cpSync(join(REPO, 'test', 'fixtures', 'odyssey-stack'), p.dir, { recursive: true });
  port = await freePort();
  p.writeFleet(fleet(p.project, port));
  p.commit('the odyssey stack, as its compose file describes it');
  await slipwayOk(['up'], { cwd: p.dir });
  for (const env of ENVS) {
    const d = await slipwayOk(['deploy', APP, env, '--drain', '0'], { cwd: p.dir });
    deployed[env] = d.stdout + d.stderr;
  }
  // A marker in each environment's Redis says whose it is; the services' code reads it back.
  for (const env of ENVS) expect(await redisCli(env, ['SET', 'marker', `redis of ${env}`])).toBe('OK');
}, 900_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('seed 002 on the real engine: the odyssey stack as qual and prod side by side', () => {
  it('no duplicate container, volume or network names; each environment has its own of each', async () => {
    const dups = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);
    const containers = (await docker.listContainers({ all: true })).map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
    const volumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name);
    // Networks are the one kind the engine lets share a name: checked for this project's.
    const networks = (await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(`${p.project}-`));
    expect(dups(containers)).toEqual([]);
    expect(dups(volumes)).toEqual([]);
    expect(dups(networks)).toEqual([]);

    const byEnv: Record<string, string[]> = {};
    for (const env of ENVS) {
      const list = await appContainers(env);
      expect(list.map((c) => c.Labels['slipway.process']).sort()).toEqual(LONG_RUNNING);
      byEnv[env] = list.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
      for (const name of byEnv[env]!) expect(name).toContain(`-${env}-`);
    }
    expect(byEnv.qual!.filter((n) => byEnv.prod!.includes(n))).toEqual([]);

    for (const env of ENVS) {
      // Each environment's data lives in its own volumes, mounted by its own databases.
      const mounts = async (process: string) =>
        ((await containerOf(env, process)).Mounts as Json[]).filter((m) => m.Type === 'volume').map((m) => `${m.Name}:${m.Destination}`);
      expect(await mounts('postgres')).toEqual([`${p.project}-${env}-${APP}-pgdata:/var/lib/postgresql/data`]);
      expect(await mounts('redis')).toEqual([`${p.project}-${env}-${APP}-redisdata:/data`]);
      // Each compose network is one network per environment; internal: true stays internal.
      for (const [net, internal] of [
        ['internal', true],
        ['db', true],
        ['public', false],
      ] as const)
        expect((await docker.getNetwork(netName(env, net)).inspect()).Internal, `${env}/${net}`).toBe(internal);
    }
  });

  it.each(ENVS)('%s: services call each other by compose name from their code, and every call lands in %s', async (env) => {
    for (const [process, targets] of Object.entries(CODE_CALLS)) {
      const r = await ask(env, process, '/calls');
      expect(r.env, process).toBe(env);
      expect(r.results.map((c: Json) => c.target)).toEqual(targets);
      for (const call of r.results as Json[]) {
        expect(call.ok, `${env}/${process} → ${call.target}: ${JSON.stringify(call)}`).toBe(true);
        if (call.target.startsWith('redis://')) expect(call.value).toBe(`redis of ${env}`);
        else expect(call.body.env, `${env}/${process} → ${call.target}`).toBe(env);
      }
    }
    // The worker's code writes its heartbeat to `redis`: its own environment's.
    expect(Number(await redisCli(env, ['GET', `heartbeat:${env}`]))).toBeGreaterThan(0);
    expect(await redisCli(env, ['EXISTS', `heartbeat:${other(env)}`])).toBe('0');
  });

  it.each(ENVS)('%s: the gateway reaches every upstream named in its bind-mounted config file, in %s', async (env) => {
    const gw = await containerOf(env, 'api-gateway');
    const mount = (gw.Mounts as Json[]).find((m) => m.Destination === '/app/config/routes.json');
    expect(mount, 'routes.json is mounted').toBeDefined();
    expect(mount!.RW).toBe(false);
    const inside = await execIn(docker, nameOf(gw), ['cat', '/app/config/routes.json']);
    expect(inside.stdout).toBe(readFileSync(join(p.dir, 'config', 'routes.json'), 'utf8'));

    const r = await viaProxy(GATEWAY(env), '/routes');
    expect(r.env).toBe(env);
    expect(Object.fromEntries((r.results as Json[]).map((u) => [u.name, u.body?.service]))).toEqual(ROUTES);
    for (const u of r.results as Json[]) {
      expect(u.ok, `${env} gateway → ${u.name}: ${JSON.stringify(u)}`).toBe(true);
      expect(u.body.env, `${env} gateway → ${u.name}`).toBe(env);
    }
  });

  it.each(ENVS)('%s: every endpoint answers through the proxy', async (env) => {
    expect(await viaProxy(FRONT(env), '/')).toMatchObject({ service: 'front', env });
    expect(await viaProxy(GATEWAY(env), '/')).toMatchObject({ service: 'gateway', env });
    // Keycloak's user and open-files limit are the compose file's (user 1000:1000, nofile hard 16384).
    expect(await viaProxy(KEYCLOAK(env), '/')).toMatchObject({ service: 'keycloak', env, uid: 1000, openFiles: 16384 });
    for (const [name, service] of Object.entries(ROUTES)) expect(await viaProxy(GATEWAY(env), `/api/${name}/`)).toMatchObject({ service, env });
  });

  it.each(ENVS)('%s: Docker reports every compose health check healthy', async (env) => {
    const health: Record<string, string> = {};
    for (const c of await appContainers(env)) {
      const info = (await docker.getContainer(c.Id).inspect()) as Json;
      const test = info.Config.Healthcheck?.Test as string[] | undefined;
      if (test && test[0] !== 'NONE') health[c.Labels['slipway.process']!] = info.State.Health?.Status ?? 'none';
    }
    expect(health).toEqual(Object.fromEntries(HEALTH_CHECKED.map((s) => [s, 'healthy'])));
  });

  it.each(ENVS)('%s cannot reach the other environment: its names, its addresses, its database', async (env) => {
    const o = other(env);
    const oPostgres = await containerOf(o, 'postgres');
    const names = [
      `${APP}-${o}-postgres:5432`,
      `${APP}-${o}-redis:6379`,
      `${APP}-${o}-api-gateway:8080`,
      `${APP}-${o}-booking-service:3000`,
      `${APP}-${o}-keycloak:8080`,
      `${nameOf(oPostgres)}:5432`,
    ];
    const addresses = [
      `${await addressOf(o, 'postgres', 'db')}:5432`,
      `${await addressOf(o, 'redis', 'internal')}:6379`,
      `${await addressOf(o, 'booking-service', 'internal')}:3000`,
      `${await addressOf(o, 'api-gateway', 'public')}:8080`,
      `${await addressOf(o, 'api-gateway', `${p.project}-${o}-edge`)}:8080`,
      `${await addressOf(o, 'keycloak', `${p.project}-${o}-edge`)}:8080`,
      `${await addressOf(o, 'public-fo', 'public')}:3000`,
    ];
    // From the booking service (internal + db) and the gateway (internal + public + the edge), and
    // with psql from this environment's Postgres to the other's, by address and by name; at once.
    const froms = ['booking-service', 'api-gateway'];
    const pg = nameOf(await containerOf(env, 'postgres'));
    const pgHosts = [await addressOf(o, 'postgres', 'db'), `${APP}-${o}-postgres`];
    const [probes, psqls] = await Promise.all([
      Promise.all(froms.map((from) => ask(env, from, `/probe?${[...names, ...addresses].map((h) => `h=${encodeURIComponent(h)}`).join('&')}`))),
      Promise.all(
        pgHosts.map((host) =>
          execIn(
            docker,
            pg,
            ['psql', '-h', host, '-U', 'odyssey', '-d', 'odyssey', '-c', 'SELECT 1'],
            ['PGCONNECT_TIMEOUT=3', 'PGPASSWORD=odyssey-dev-password'],
          ),
        ),
      ),
    ]);
    for (const [i, from] of froms.entries()) {
      const probe = probes[i]!;
      for (const n of names) {
        expect(probe[n].address, `${env}/${from} → ${n}`).toMatch(NOT_RESOLVED);
        expect(probe[n].tcp, `${env}/${from} → ${n}`).not.toBe('ok');
      }
      for (const a of addresses) {
        const who = probe[a].tcp === 'ok' ? ` (answered; that address is on the engine: ${(await whoHas(a.split(':')[0]!)).join('; ')})` : '';
        expect(probe[a].tcp, `${env}/${from} → ${a}${who}`).not.toBe('ok');
      }
    }
    // The other environment's Postgres refuses this one's.
    for (const [i, host] of pgHosts.entries()) {
      const r = psqls[i]!;
      expect(r.exitCode, `${env} psql -h ${host}: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(/could not connect|timeout expired|could not translate host name|Connection refused|No route to host/);
    }
  });

  it.each(ENVS)('%s: the migration job ran once, and is not left running or restarting', async (env) => {
    expect(await psql(env, 'SELECT count(*) FROM migrations')).toBe('1');
    expect(await psql(env, "SELECT to_regclass('public.bookings')::text")).toBe('bookings');
    const jobs = await appContainers(env, { process: 'migrate', all: true });
    for (const j of jobs) {
      const info = (await docker.getContainer(j.Id).inspect()) as Json;
      expect(info.State, `${env} migrate ${j.Names[0]}`).toMatchObject({ Running: false, Restarting: false, ExitCode: 0 });
      expect(info.RestartCount).toBe(0);
    }
    expect(deployed[env]).toMatch(/task migrate/);
  });

  it.each(ENVS)('%s: segmentation — the public front-end can neither resolve nor reach Postgres or Redis', async (env) => {
    const pg = `${await addressOf(env, 'postgres', 'db')}:5432`;
    const redis = `${await addressOf(env, 'redis', 'internal')}:6379`;
    const targets = ['postgres:5432', 'redis:6379', `${APP}-${env}-postgres:5432`, `${APP}-${env}-redis:6379`, pg, redis];
    const probe = await ask(env, 'public-fo', `/probe?${targets.map((h) => `h=${encodeURIComponent(h)}`).join('&')}`);
    for (const n of targets.slice(0, 4)) expect(probe[n].address, `${env}/public-fo → ${n}`).toMatch(NOT_RESOLVED);
    for (const t of targets) expect(probe[t].tcp, `${env}/public-fo → ${t}`).not.toBe('ok');
    // What the front-end needs, the gateway on the public network, it still reaches.
    expect((await ask(env, 'public-fo', '/calls')).results[0].ok).toBe(true);
  });
});

describe('redeploying prod under load while a writer inserts rows', () => {
  interface Redeploy {
    loads: Record<string, LoadReport>;
    writer: PgWriterReport;
    volumes: VolumeWatchReport;
    before: { postgres: string; redis: string; qual: string[] };
    after: { postgres: string; redis: string };
    rows: Set<number>;
  }
  let r: Redeploy | undefined;

  it('serves every request, keeps every acknowledged row, never runs two containers on one volume', async () => {
    // The new release changes Postgres's command (so it must be replaced) and leaves Redis as it was.
    const compose = join(p.dir, 'docker-compose.yml');
    const text = readFileSync(compose, 'utf8');
    const changed = text.replace(
      '    image: postgres:15\n    restart: unless-stopped\n',
      '    image: postgres:15\n    command: ["postgres", "-c", "max_connections=50"]\n    restart: unless-stopped\n',
    );
    expect(changed).not.toBe(text);
    writeFileSync(compose, changed);
    p.commit('postgres: max_connections=50');

    const before = {
      postgres: (await containerOf('prod', 'postgres')).Id as string,
      redis: (await containerOf('prod', 'redis')).Id as string,
      qual: (await appContainers('qual')).map((c) => c.Id).sort(),
    };
    const volumes = await watchVolumes(docker, p.project);
    const writer = startPgWriter({
      docker,
      find: async () => (await appContainers('prod', { process: 'postgres' }))[0]?.Id,
      user: 'odyssey',
      database: 'odyssey',
      insert: (id) => `INSERT INTO bookings (id, note) VALUES (${id}, 'written during the redeploy') RETURNING id;`,
    });
    const expectProd = (body: string) => body.includes('"env":"prod"');
    const loads = {
      'public-fo': startLoad({ url: `http://127.0.0.1:${port}/`, host: FRONT('prod'), connections: 10, expectBody: expectProd }),
      'api-gateway': startLoad({ url: `http://127.0.0.1:${port}/`, host: GATEWAY('prod'), connections: 5, expectBody: expectProd }),
      keycloak: startLoad({ url: `http://127.0.0.1:${port}/`, host: KEYCLOAK('prod'), connections: 5, expectBody: expectProd }),
    };
    const waitForRows = async (n: number, what: string) => {
      const deadline = Date.now() + 120_000;
      while (writer.acknowledgedCount() < n) {
        if (Date.now() > deadline) throw new Error(`the writer got ${writer.acknowledgedCount()} of ${n} rows acknowledged ${what}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    let out: string;
    try {
      await waitForRows(20, 'before the redeploy');
      const d = await slipwayOk(['deploy', APP, 'prod'], { cwd: p.dir });
      // Its progress (stderr) says how each process was replaced; the summary (stdout) where it runs.
      out = `${d.stderr
        .split('\n')
        .filter((l) => /^\s*[✓✗]/.test(l))
        .join('\n')}\n${d.stdout}`;
      // Writes carry on after the redeploy, on the new Postgres.
      await waitForRows(writer.acknowledgedCount() + 20, 'after the redeploy');
    } finally {
      const reports = Object.fromEntries(await Promise.all(Object.entries(loads).map(async ([k, l]) => [k, await l.stop()] as const)));
      r = {
        loads: reports,
        writer: await writer.stop(),
        volumes: await volumes.stop(),
        before,
        after: { postgres: '', redis: '' },
        rows: new Set(),
      };
    }
    r.after = { postgres: (await containerOf('prod', 'postgres')).Id, redis: (await containerOf('prod', 'redis')).Id };
    r.rows = new Set((await psql('prod', 'SELECT id FROM bookings')).split('\n').filter(Boolean).map(Number));
    const requests = Object.values(r.loads).reduce((n, l) => n + l.requests, 0);
    console.log(
      `[odyssey] redeploy of prod: ${requests} requests (${Object.entries(r.loads)
        .map(([k, l]) => `${k} ${l.requests}, 2xx ${l.ok2xx}`)
        .join(
          '; ',
        )}); writer: ${r.writer.attempted} inserts, ${r.writer.acknowledged.length} acknowledged, ${r.writer.unacknowledged} not, ${r.writer.sessions} psql sessions${r.writer.errors.length ? ` (${r.writer.errors.slice(0, 3).join(' | ')})` : ''}; rows in bookings ${r.rows.size}; engine events ${r.volumes.events} (${r.volumes.starts} starts, ${r.volumes.dies} dies), starts on volumes ${JSON.stringify(r.volumes.startsByVolume)}\n${out}`,
    );

    for (const [k, l] of Object.entries(r.loads)) {
      expect(l.requests, k).toBeGreaterThan(0);
      expect({
        process: k,
        non2xx: l.non2xx,
        readErrors: l.readErrors,
        connectErrors: l.connectErrors,
        timeouts: l.timeouts,
        bodyMismatches: l.bodyMismatches,
      }).toEqual({
        process: k,
        non2xx: {},
        readErrors: 0,
        connectErrors: 0,
        timeouts: 0,
        bodyMismatches: 0,
      });
    }
    const lost = r.writer.acknowledged.filter((id) => !r!.rows.has(id));
    if (lost.length > 0) {
      const newPg = (await containerOf('prod', 'postgres')).Id as string;
      const logs = await docker.getContainer(newPg).logs({ stdout: true, stderr: true, tail: 40, timestamps: true });
      console.log(
        `[odyssey] ${lost.length} acknowledged rows lost: ids ${lost[0]} (acknowledged ${r.writer.ackedAt.get(lost[0]!)}) to ${lost.at(-1)} (${r.writer.ackedAt.get(lost.at(-1)!)})\nwriter sessions:\n${r.writer.sessionLog.join('\n')}\nwriter errors:\n${r.writer.errors.join('\n')}\nengine timeline:\n${r.volumes.timeline.join('\n')}\n${Object.entries(
          r.volumes.logsAtDie,
        )
          .map(([n, l]) => `--- ${n} (at its death) ---\n${l}`)
          .join('\n')}\n--- the running Postgres ---\n${String(logs)}`,
      );
    }
    // Soft: each of these is its own finding, and all of them are reported.
    expect.soft(lost).toEqual([]);
    expect.soft(r.volumes.overlaps).toEqual([]);
    // The same from the containers' own start and finish times (old ones are kept for rollback).
    const pgdata = `${p.project}-prod-${APP}-pgdata`;
    const runs = await volumeRuns(docker, p.project, pgdata);
    expect.soft(runs.overlapping, JSON.stringify(runs.runs)).toEqual([]);
    // And from Postgres itself: the new server found its data shut down cleanly (a second server
    // on the same directory, or a killed one, leaves it "not properly shut down").
    const pgLog = String(await docker.getContainer(r.after.postgres).logs({ stdout: true, stderr: true }));
    expect.soft(pgLog).not.toMatch(/not properly shut down|automatic recovery in progress/);
    expect.soft(pgLog).toMatch(/database system was shut down at/);
    // Not vacuous: Postgres did start again on its volume while the engine was watched.
    expect(r.volumes.startsByVolume[pgdata]?.length ?? 0).toBeGreaterThan(0);
  }, 900_000);

  it('the changed stateful process (Postgres) was replaced, and runs the new command', async () => {
    expect(r, 'the redeploy ran').toBeDefined();
    expect(r!.after.postgres).not.toBe(r!.before.postgres);
    expect(await psql('prod', 'SHOW max_connections')).toBe('50');
  });

  it('the unchanged stateful process (Redis) was left running, not replaced', async () => {
    expect(r, 'the redeploy ran').toBeDefined();
    expect(r!.after.redis).toBe(r!.before.redis);
    expect(await redisCli('prod', ['GET', 'marker'])).toBe('redis of prod');
  });

  it('qual was not touched by the prod redeploy', async () => {
    expect(r, 'the redeploy ran').toBeDefined();
    expect((await appContainers('qual')).map((c) => c.Id).sort()).toEqual(r!.before.qual);
    expect(await viaProxy(FRONT('qual'), '/')).toMatchObject({ service: 'front', env: 'qual' });
    expect(await psql('qual', 'SELECT count(*) FROM bookings')).toBe('0');
  });
});
