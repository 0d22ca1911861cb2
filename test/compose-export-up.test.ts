// The odyssey stack's compose export (seed 002; test/fixtures/odyssey-stack), taken for prod with
// `slipway render compose --env prod -o DIR`, comes up with the engine alone: Debian's
// docker-compose (1.29, installed by scripts/host-packages.sh; missing, the test fails), no
// Slipway. Asserted:
// - rendering touches no engine: nothing of the project exists before docker-compose runs;
// - `docker-compose -p NAME --project-directory FLEET_DIR -f prod.yml up -d` builds the images
//   from the export's build sections and starts every service, in depends_on order: the
//   migration job exits 0 once Postgres is healthy, every health check becomes healthy;
// - services still call each other by compose name, from code and from the bind-mounted file
//   (the gateway's /routes);
// - `docker-compose down -v` removes its containers, networks and volumes.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { run } from './harness/run.ts';
import { REPO, slipwayOk } from './support/cli.ts';
import { execIn } from './support/container-exec.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const APP = 'odyssey';
const SERVICES = [
  'api-gateway',
  'auth-service',
  'booking-service',
  'keycloak',
  'migrate',
  'notification-service',
  'postgres',
  'public-fo',
  'redis',
  'search-service',
  'user-management',
  'worker',
];
const HEALTH_CHECKED = SERVICES.filter((s) => s !== 'worker' && s !== 'migrate');
/** The gateway's bind-mounted config/routes.json: upstream name → the service that answers. */
const ROUTES: Record<string, string> = { auth: 'auth', users: 'users', booking: 'booking', notifications: 'notify', identity: 'keycloak', search: 'search' };

let p: TestProject;
/** docker-compose's project name (-p), as the export's header suggests. */
let name: string;
let file: string;
/** Project resources on the engine after rendering, before docker-compose ran. */
let beforeUp: string[] = [];
const docker = new Docker();

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's inspect JSON, read field by field
type Json = Record<string, any>;

function compose(args: string[], timeoutMs = 600_000) {
  if (!existsSync(DOCKER_COMPOSE))
    throw new Error(`${DOCKER_COMPOSE} is missing: install it with \`bash scripts/host-packages.sh\` (apt-get install docker-compose)`);
  return run([DOCKER_COMPOSE, '-p', name, '--project-directory', p.dir, '-f', file, '--no-ansi', ...args], {
    cwd: p.dir,
    env: { ...process.env, ODYSSEY_RELEASE: 'export' },
    timeoutMs,
  });
}

/** docker-compose's containers of this project, by compose service (the export's `odyssey-prod-…`). */
async function services(): Promise<Map<string, Json>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } });
  const out = new Map<string, Json>();
  for (const c of list) out.set(c.Labels['com.docker.compose.service']!.replace(`${APP}-prod-`, ''), await docker.getContainer(c.Id).inspect());
  return out;
}

async function ask(service: string, port: number, path: string): Promise<Json> {
  const c = (await services()).get(service)!;
  const url = `http://127.0.0.1:${port}${path}`;
  const r = await execIn(docker, c.Id, [
    'node',
    '-e',
    `require('http').get(${JSON.stringify(url)}, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(b)); })`,
  ]);
  expect(r.exitCode, `${service} ${path}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'postgres15', 'redis']);
  p = makeProject('odyx');
  cpSync(join(REPO, 'test', 'fixtures', 'odyssey-stack'), p.dir, { recursive: true });
  p.writeFleet(`project: ${p.project}
servers:
  local: { local: true, http_port: ${await freePort()} }
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
`);
  p.commit('the odyssey stack');
  await slipwayOk(['render', 'compose', '--env', 'prod', '-o', join(p.dir, 'export')], { cwd: p.dir });
  file = join(p.dir, 'export', 'compose', 'prod.yml');
  name = `${p.project}-prod`;
  const filters = { label: [`slipway.project=${p.project}`] };
  beforeUp = [
    ...(await docker.listContainers({ all: true, filters })).map((c) => `container ${c.Names[0]}`),
    ...((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => `volume ${v.Name}`),
    ...(await docker.listNetworks({ filters })).map((n) => `network ${n.Name}`),
  ];
  await compose(['up', '-d']);
}, 900_000);

afterAll(async () => {
  if (name && file) await compose(['down', '-v', '--remove-orphans'], 300_000).catch(() => undefined);
  if (p) await cleanupProject(p.project, p.dir);
});

describe('the odyssey stack’s prod export comes up with docker-compose 1.29 alone', () => {
  it('rendering the export left nothing on the engine', () => {
    expect(beforeUp).toEqual([]);
  });

  it('every service is up: the migration job exited 0, every health check is healthy', async () => {
    const deadline = Date.now() + 180_000;
    let health: Record<string, string> = {};
    for (;;) {
      const all = await services();
      expect([...all.keys()].sort()).toEqual(SERVICES);
      health = Object.fromEntries(HEALTH_CHECKED.map((s) => [s, all.get(s)!.State.Health?.Status ?? 'none']));
      if (Object.values(health).every((h) => h === 'healthy') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(health).toEqual(Object.fromEntries(HEALTH_CHECKED.map((s) => [s, 'healthy'])));
    const all = await services();
    expect(all.get('migrate')!.State).toMatchObject({ Status: 'exited', ExitCode: 0, Restarting: false });
    expect(all.get('worker')!.State).toMatchObject({ Running: true, Restarting: false });
    const pg = all.get('postgres')!;
    const count = await execIn(docker, pg.Id, ['psql', '-At', '-U', 'odyssey', '-d', 'odyssey', '-c', 'SELECT count(*) FROM migrations']);
    expect(count.stdout.trim(), count.stderr).toBe('1');
    // Keycloak keeps its compose user and limits.
    expect(await ask('keycloak', 8080, '/')).toMatchObject({ service: 'keycloak', uid: 1000, openFiles: 16384 });
  });

  it('the gateway reaches every upstream of its bind-mounted routes file, and code calls by compose name work', async () => {
    const routes = await ask('api-gateway', 8080, '/routes');
    expect(Object.fromEntries((routes.results as Json[]).map((u) => [u.name, u.body?.service]))).toEqual(ROUTES);
    for (const u of routes.results as Json[]) expect(u.ok, `gateway → ${u.name}: ${JSON.stringify(u)}`).toBe(true);
    const calls = await ask('booking-service', 3000, '/calls');
    for (const c of calls.results as Json[]) expect(c.ok, `booking → ${c.target}: ${JSON.stringify(c)}`).toBe(true);
  });

  it('docker-compose down -v removes its containers, networks and volumes', async () => {
    await compose(['down', '-v'], 300_000);
    const filters = { label: [`slipway.project=${p.project}`] };
    expect(await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } })).toEqual([]);
    expect(((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name)).toEqual([]);
    expect((await docker.listNetworks({ filters })).map((n) => n.Name)).toEqual([]);
  });
});
