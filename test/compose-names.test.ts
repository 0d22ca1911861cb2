// Compose names and networks on the real engine: a small compose stack (test/fixtures/compose-names:
// a front-end, a backend, Postgres and Redis, on a public and two `internal: true` networks) is
// deployed unchanged as staging and prod side by side with the real CLI. Its code calls
// `backend:8000`, `db`, `database` (a link alias) and `redis` by their compose names. Asserted:
// - each call resolves to its own environment's container (the address of that environment's
//   Postgres; the marker written into that environment's Redis; the backend says its env);
// - the other environment's services are not reachable, by name or by address;
// - the internal networks are Internal in `docker network inspect`, and the front-end, which is not
//   on the db network, can neither resolve nor reach the database (nor Redis);
// - the proxy still reaches the front-end, and the health prober the backend (its port is probed
//   from the host through the address on its non-internal network);
// - an `external: true` volume keeps its name: a deploy refuses to start while it is missing, then
//   both environments mount that same volume, and `check` warns that they share it.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { type CliResult, REPO, slipway, slipwayOk } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

const ENVS = ['staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const other = (e: Env): Env => (e === 'staging' ? 'prod' : 'staging');

/** A resolver error code, never an address. */
const NOT_RESOLVED = /^E[A-Z_]+$/;

let p: TestProject;
let port: number;
/** The external volume, made outside Slipway for this run. */
let shared: string;
/** The first deploy, before the external volume existed. */
let refused: CliResult;
const docker = new Docker();

function fleet(project: string, httpPort: number): string {
  return `project: ${project}
servers:
  local: { local: true, http_port: ${httpPort} }
environments:
  staging: { server: local, tls: "off", domain: "{app}-{env}.localhost" }
  prod: { server: local, tls: "off", domain: "{app}-{env}.localhost" }
apps:
  shop:
    compose: docker-compose.yml
`;
}

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's inspect JSON, read field by field
type Json = Record<string, any>;

/** The running container of one process in one environment. */
async function containerOf(env: Env, process: string): Promise<Json> {
  const list = await docker.listContainers({
    filters: { label: [`slipway.project=${p.project}`, 'slipway.role=app', `slipway.env=${env}`, `slipway.process=${process}`] },
  });
  expect(list, `${env}/${process}`).toHaveLength(1);
  return docker.getContainer(list[0]!.Id).inspect();
}

/** A process's address on one of its networks. */
async function addressOf(env: Env, process: string, network: string): Promise<string> {
  const c = await containerOf(env, process);
  const ip = c.NetworkSettings.Networks[`${p.project}-${env}-shop-${network}`]?.IPAddress as string | undefined;
  if (!ip) throw new Error(`${env}/${process} is not on ${network}: ${Object.keys(c.NetworkSettings.Networks).join(', ')}`);
  return ip;
}

async function execIn(container: string, argv: string[]): Promise<string> {
  const ex = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const raw = Buffer.concat(chunks);
  let text = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4);
    text += raw.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return text;
}

/** Waits until an environment's Postgres accepts connections (what its compose healthcheck asks). */
async function postgresReady(env: Env): Promise<void> {
  for (let i = 0; ; i++) {
    const out = await execIn((await containerOf(env, 'db')).Name.slice(1), ['pg_isready', '-U', 'postgres']);
    if (out.includes('accepting connections')) return;
    if (i >= 120) throw new Error(`${env}/db: ${out.trim()} after 120 checks`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** GET through the proxy to the front-end of an environment. */
async function front(env: Env, path: string): Promise<Json> {
  const r = await get(port, `shop-${env}.localhost`, path);
  expect(r.status, `${env} ${path}: ${r.body}`).toBe(200);
  return JSON.parse(r.body);
}

/** The backend's own view, asked from inside it (the backend has no route). */
async function backend(env: Env, path: string): Promise<Json> {
  const c = await containerOf(env, 'backend');
  const out = await execIn(c.Name.slice(1), [
    'node',
    '-e',
    `require('http').get('http://127.0.0.1:8000${path}', (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(b)); })`,
  ]);
  return JSON.parse(out);
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'caddy', 'redis', 'postgres15']);
  p = makeProject('cnames');
  cpSync(join(REPO, 'test', 'fixtures', 'compose-names'), p.dir, { recursive: true });
  port = await freePort();
  shared = `${p.project}-shared`;
  writeFileSync(join(p.dir, '.env'), `SHARED_VOLUME=${shared}\n`);
  p.writeFleet(fleet(p.project, port));
  p.commit('compose stack');
  await slipwayOk(['up'], { cwd: p.dir });
  refused = await slipway(['deploy', 'shop', 'staging', '--drain', '0'], { cwd: p.dir });
  await docker.createVolume({ Name: shared });
  for (const env of ENVS) await slipwayOk(['deploy', 'shop', env, '--drain', '0'], { cwd: p.dir });
  for (const env of ENVS) await postgresReady(env);
  // A marker in each environment's Redis says whose it is.
  for (const env of ENVS) {
    const redis = await containerOf(env, 'redis');
    expect(await execIn(redis.Name.slice(1), ['redis-cli', 'SET', 'marker', `redis of ${env}`])).toContain('OK');
  }
}, 900_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
  // Not Slipway's (no label): removed by name.
  if (shared)
    await docker
      .getVolume(shared)
      .remove()
      .catch(() => undefined);
});

describe('compose names resolve inside each environment (real engine)', () => {
  it.each(ENVS)('%s: the backend’s code reaches db, database and redis of its own environment', async (env) => {
    const r = await backend(env, '/calls');
    expect(r.env).toBe(env);
    const db = await addressOf(env, 'db', 'db');
    expect(r.calls.db).toEqual({ address: db, tcp: 'ok' });
    expect(r.calls.database).toEqual({ address: db, tcp: 'ok' });
    expect(r.calls.redis).toEqual({ value: `redis of ${env}` });
  });

  it.each(ENVS)('%s: through the proxy, the front-end’s code reaches backend:8000 of its own environment', async (env) => {
    const r = await front(env, '/calls');
    expect(r.env).toBe(env);
    expect(r.calls.backend.status).toBe(200);
    expect(r.calls.backend.body.env).toBe(env);
    expect(r.calls.backend.body.calls.redis).toEqual({ value: `redis of ${env}` });
  });

  it.each(ENVS)('%s: the front-end is not on the db or internal network: it cannot resolve nor reach Postgres or Redis', async (env) => {
    const r = await front(env, '/calls');
    // Not found (ENOTFOUND; EAI_AGAIN where the server's upstream DNS does not answer): no address.
    expect(r.calls.db.address).toMatch(NOT_RESOLVED);
    expect(r.calls.db.tcp).not.toBe('ok');
    expect(r.calls.redis.address).toMatch(NOT_RESOLVED);
    const db = await addressOf(env, 'db', 'db');
    const redis = await addressOf(env, 'redis', 'internal');
    const probe = await front(env, `/probe?h=${db}:5432&h=${redis}:6379`);
    expect(probe[`${db}:5432`].tcp).not.toBe('ok');
    expect(probe[`${redis}:6379`].tcp).not.toBe('ok');
  });

  it.each(ENVS)('%s: the other environment is out of reach, by name and by address', async (env) => {
    const o = other(env);
    const names = [`shop-${o}-db:5432`, `shop-${o}-redis:6379`, `shop-${o}-backend:8000`, `shop-${o}-front:3000`];
    const addresses = [
      `${await addressOf(o, 'db', 'db')}:5432`,
      `${await addressOf(o, 'redis', 'internal')}:6379`,
      `${await addressOf(o, 'backend', 'public')}:8000`,
      `${await addressOf(o, 'front', 'public')}:3000`,
    ];
    const probe = await backend(env, `/probe?${[...names, ...addresses].map((h) => `h=${h}`).join('&')}`);
    for (const n of names) {
      expect(probe[n].address, n).toMatch(NOT_RESOLVED);
      expect(probe[n].tcp, n).not.toBe('ok');
    }
    for (const a of addresses) expect(probe[a].tcp, a).not.toBe('ok');
  });

  it('internal: true stays internal; each network is per environment and labelled', async () => {
    for (const env of ENVS)
      for (const [net, internal] of [
        ['internal', true],
        ['db', true],
        ['public', false],
      ] as const) {
        const n = await docker.getNetwork(`${p.project}-${env}-shop-${net}`).inspect();
        expect(n.Internal, `${env}/${net}`).toBe(internal);
        expect(n.Labels).toMatchObject({
          'slipway.project': p.project,
          'slipway.env': env,
          'slipway.app': 'shop',
          'slipway.network': 'app',
          'slipway.compose-network': net,
        });
      }
  });

  it('each process joins only the networks its compose service lists (the routed front-end also the edge)', async () => {
    const netsOf = async (env: Env, process: string) => Object.keys((await containerOf(env, process)).NetworkSettings.Networks).sort();
    const n = (env: Env, x: string) => `${p.project}-${env}-shop-${x}`;
    for (const env of ENVS) {
      expect(await netsOf(env, 'db')).toEqual([n(env, 'db')]);
      expect(await netsOf(env, 'redis')).toEqual([n(env, 'internal')]);
      expect(await netsOf(env, 'backend')).toEqual([n(env, 'db'), n(env, 'internal'), n(env, 'public')].sort());
      expect(await netsOf(env, 'front')).toEqual([`${p.project}-${env}-edge`, n(env, 'public')].sort());
    }
  });

  it('an external volume keeps its name: a deploy waits for it, then both environments share it, and check says so', async () => {
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`shop in staging uses external volume ${shared}, which does not exist on local`);
    expect(refused.stderr).toContain(`docker volume create ${shared}`);
    const mounts = async (env: Env) =>
      ((await containerOf(env, 'backend')).Mounts as Json[]).filter((m) => m.Destination === '/shared').map((m) => `${m.Type} ${m.Name}`);
    for (const env of ENVS) expect(await mounts(env)).toEqual([`volume ${shared}`]);
    const staging = (await containerOf('staging', 'backend')).Name.slice(1);
    const prod = (await containerOf('prod', 'backend')).Name.slice(1);
    await execIn(staging, ['sh', '-c', 'echo written-by-staging > /shared/who']);
    expect((await execIn(prod, ['cat', '/shared/who'])).trim()).toBe('written-by-staging');
    const check = await slipway(['check', '--json'], { cwd: p.dir });
    const findings = JSON.parse(check.stdout).findings as { code: string; severity: string; message: string }[];
    expect(findings.filter((f) => f.code === 'external-shared').map((f) => `${f.severity}: ${f.message}`)).toEqual([
      `warning: external volume ${shared} on local is mounted by prod and staging (shop): the environments share its data`,
    ]);
    // Not Slipway's: no label, so no cleanup or plan of Slipway's ever deletes it.
    expect((await docker.getVolume(shared).inspect()).Labels ?? {}).toEqual({});
  });
});
