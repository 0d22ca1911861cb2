// Bind-mounted repository files of a compose app on the real engine, with the real CLI: a small
// stack (the odyssey gateway, which reads /app/config/routes.json, a users service and a Redis)
// deployed as qual and prod side by side on one server, then as one environment on the simulated
// SSH host hostA. Asserted:
// - each environment's gateway sees the committed config file, from its own files volume, read-only;
//   the service itself reads it (its /routes answer, through the proxy, lists the file's routes);
// - a committed edit reaches the environment deployed next, and only it; an uncommitted one never
//   ships (the deployed commit's file is the one that ships);
// - the development mount (./services:/app) is left out with its warning, the code comes from the
//   image; `check` warns on the Docker socket;
// - `check --live` covers the stack's own Redis: neither environment resolves or reaches the
//   other's, and a prod Redis attached to a qual network is reported;
// - on hostA (over SSH, through the Engine API only) the file reaches the remote server.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts, type HarnessHosts } from './harness/hosts.ts';
import { REPO, slipway, slipwayOk } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProjectOn, hostDocker } from './support/multi-hosts.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

const docker = new Docker();
const ODYSSEY = join(REPO, 'test', 'fixtures', 'odyssey-stack');
const ROUTES = (v: string) => `${JSON.stringify({ [`users-${v}`]: 'http://users:3000' })}\n`;
const HEALTH = `["CMD", "node", "-e", "require('http').get('http://localhost:'+process.env.PORT+'/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]`;

const COMPOSE = `services:
  gateway:
    build: ./services
    environment: { SERVICE: gateway, PORT: "8080" }
    ports: ["8080:8080"]
    volumes:
      - ./config/routes.json:/app/config/routes.json:ro
      - ./services:/app
    healthcheck: { test: ${HEALTH}, interval: 1s, timeout: 2s, retries: 30 }
  users:
    build: ./services
    environment: { SERVICE: users, PORT: "3000" }
    healthcheck: { test: ${HEALTH}, interval: 1s, timeout: 2s, retries: 30 }
  redis:
    image: redis:7
    volumes: [redisdata:/data]
    healthcheck: { test: ["CMD", "redis-cli", "ping"], interval: 1s, timeout: 2s, retries: 30 }
volumes: { redisdata: {} }
`;

/** A repository with the stack: the odyssey services image, its config file, the compose file and a fleet. */
function stackProject(prefix: string, fleet: (project: string) => string): TestProject {
  const p = makeProject(prefix);
  mkdirSync(join(p.dir, 'config'), { recursive: true });
  cpSync(join(ODYSSEY, 'services'), join(p.dir, 'services'), { recursive: true });
  writeFileSync(join(p.dir, 'config', 'routes.json'), ROUTES('v1'));
  writeFileSync(join(p.dir, 'docker-compose.yml'), COMPOSE);
  p.writeFleet(fleet(p.project));
  p.commit('stack v1');
  return p;
}

/** Runs argv in a container; exit code and output (stdout and stderr together). */
function execIn(container: string, argv: string[], host?: string): { code: number; out: string } {
  try {
    const out = execFileSync('docker', [...(host ? ['-H', host] : []), 'exec', container, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { code: x.status ?? -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

/** The running container of a process in an environment. */
async function running(d: Docker, project: string, env: string, process: string): Promise<Docker.ContainerInspectInfo> {
  const label = [`slipway.project=${project}`, `slipway.env=${env}`, `slipway.process=${process}`, 'slipway.role=app'];
  const [c] = await d.listContainers({ filters: { label, status: ['running'] } });
  if (!c) throw new Error(`no running ${env}/${process} of ${project}`);
  return d.getContainer(c.Id).inspect();
}

describe('compose bind-mounted files: qual and prod on the local engine', () => {
  let p: TestProject;
  let port: number;
  const cli = (args: string[]) => slipwayOk(args, { cwd: p.dir });
  const routesVia = async (env: string) =>
    JSON.parse((await get(port, `stack-${env}.localhost`, '/routes')).body) as { env: string; results: { name: string }[] };

  beforeAll(async () => {
    await ensureEngine();
    await ensureImages(['node', 'caddy', 'redis']);
    port = await freePort();
    p = stackProject(
      'cfiles',
      (project) => `project: ${project}
servers:
  local: { local: true, http_port: ${port} }
environments:
  qual: { server: local, domain: "{app}-qual.localhost", tls: "off" }
  prod: { server: local, domain: "{app}-prod.localhost", tls: "off" }
apps:
  stack: { compose: docker-compose.yml }
`,
    );
    await cli(['up']);
    for (const env of ['qual', 'prod']) await cli(['deploy', 'stack', env, '--drain', '0']);
  }, 600_000);

  afterAll(async () => {
    if (p) await cleanupProject(p.project, p.dir);
  }, 120_000);

  it('each environment sees the committed file, from its own files volume, read-only; the service reads it', async () => {
    const sources: string[] = [];
    for (const env of ['qual', 'prod']) {
      const gw = await running(docker, p.project, env, 'gateway');
      expect(execIn(gw.Id, ['cat', '/app/config/routes.json']).out).toBe(ROUTES('v1'));
      const mount = gw.Mounts.find((m) => m.Destination === '/app/config/routes.json')!;
      expect(mount).toMatchObject({ Type: 'bind', RW: false });
      expect(mount.Source).toMatch(new RegExp(`/volumes/${p.project}-${env}-files/_data/[0-9a-f]{64}/routes\\.json$`));
      sources.push(mount.Source);
      const write = execIn(gw.Id, ['sh', '-c', 'echo changed > /app/config/routes.json']);
      expect(write.code).not.toBe(0);
      expect(write.out).toMatch(/Read-only file system/);
      const answer = await routesVia(env);
      expect(answer.env).toBe(env);
      expect(answer.results.map((r) => r.name)).toEqual(['users-v1']);
    }
    expect(sources[0]).not.toBe(sources[1]);
  });

  it('the development mount is left out with its warning: the code comes from the image', async () => {
    const gw = await running(docker, p.project, 'qual', 'gateway');
    expect(gw.Mounts.map((m) => m.Destination)).toEqual(['/app/config/routes.json']);
    expect(execIn(gw.Id, ['ls', '/app']).out.split('\n')).toContain('server.js');
    const v = await slipway(['validate'], { cwd: p.dir });
    expect(`${v.stdout}${v.stderr}`).toMatch(
      /\.\/services → \/app mounts source code over the image's code \(\/app is where the image keeps its code\).*left out; the code comes from the image/,
    );
  });

  it('a committed edit reaches the environment deployed next and only it; an uncommitted edit never ships', async () => {
    writeFileSync(join(p.dir, 'config', 'routes.json'), ROUTES('v2'));
    p.commit('routes v2');
    writeFileSync(join(p.dir, 'config', 'routes.json'), ROUTES('v3-uncommitted'));
    await cli(['deploy', 'stack', 'qual', '--drain', '0']);
    const qual = await running(docker, p.project, 'qual', 'gateway');
    expect(execIn(qual.Id, ['cat', '/app/config/routes.json']).out).toBe(ROUTES('v2'));
    expect((await routesVia('qual')).results.map((r) => r.name)).toEqual(['users-v2']);
    const prod = await running(docker, p.project, 'prod', 'gateway');
    expect(execIn(prod.Id, ['cat', '/app/config/routes.json']).out).toBe(ROUTES('v1'));
    writeFileSync(join(p.dir, 'config', 'routes.json'), ROUTES('v2'));
  });

  it("check --live covers the stack's own Redis: neither environment reaches the other's, and a leak is reported", async () => {
    const live = JSON.parse((await cli(['check', '--live', '--json'])).stdout) as { live: { check: string; ok: boolean; subject: string; message: string }[] };
    const redis = live.live.filter((l) => l.check === 'app-service');
    expect(redis.map((l) => l.subject).sort()).toEqual(['prod → qual stack/redis', 'qual → prod stack/redis']);
    for (const l of redis) expect(l.ok, l.message).toBe(true);
    expect(redis[0]!.message).toMatch(/cannot resolve stack-(qual|prod)-redis nor connect to .*:6379/);
    // Break it: prod's Redis joins one of qual's networks.
    const prodRedis = await running(docker, p.project, 'prod', 'redis');
    const qualNet = Object.keys((await running(docker, p.project, 'qual', 'redis')).NetworkSettings.Networks)[0]!;
    await docker.getNetwork(qualNet).connect({ Container: prodRedis.Id });
    try {
      const broken = await slipway(['check', '--live', '--json'], { cwd: p.dir });
      expect(broken.code).toBe(1);
      const leak = (JSON.parse(broken.stdout) as typeof live).live.find((l) => l.subject === 'qual → prod stack/redis')!;
      expect(leak.ok).toBe(false);
      expect(leak.message).toMatch(/connects to [\d.]+:6379/);
    } finally {
      await docker.getNetwork(qualNet).disconnect({ Container: prodRedis.Id, Force: true });
    }
  }, 120_000);
});

describe('compose bind-mounted files on a remote server (hostA, over SSH)', () => {
  let p: TestProject;
  let hosts: HarnessHosts;
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureImages(['node', 'caddy', 'redis']);
    hosts = await hostsUp();
    await loadImagesIntoHosts(['node:20-slim', 'caddy:2', 'redis:7'], ['hostA']);
    env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
    p = stackProject(
      'cfremote',
      (project) => `project: ${project}
servers:
  vps: { ssh: root@${hosts.hosts.hostA.ip} }
environments:
  prod: { server: vps, domain: "{app}.localhost", tls: "off" }
apps:
  stack: { compose: docker-compose.yml }
`,
    );
    await slipwayOk(['up'], { cwd: p.dir, env });
    await slipwayOk(['deploy', 'stack', 'prod', '--drain', '0'], { cwd: p.dir, env });
  }, 900_000);

  afterAll(async () => {
    if (hosts && p) await cleanupProjectOn(hostDocker(hosts, 'hostA'), p.project);
    if (p) await cleanupProject(p.project, p.dir);
  }, 120_000);

  it("the committed file reaches hostA's files volume and the gateway reads it there, read-only", async () => {
    const a = hostDocker(hosts, 'hostA');
    const gw = await running(a, p.project, 'prod', 'gateway');
    const mount = gw.Mounts.find((m) => m.Destination === '/app/config/routes.json')!;
    expect(mount).toMatchObject({ Type: 'bind', RW: false });
    expect(mount.Source).toMatch(new RegExp(`/${p.project}-prod-files/_data/[0-9a-f]{64}/routes\\.json$`));
    const host = hosts.hosts.hostA.dockerHost;
    expect(execIn(gw.Id, ['cat', '/app/config/routes.json'], host).out).toBe(ROUTES('v1'));
    const answer = execIn(gw.Id, ['node', '-e', "require('http').get('http://localhost:8080/routes',r=>r.pipe(process.stdout))"], host);
    expect((JSON.parse(answer.out) as { results: { name: string }[] }).results.map((r) => r.name)).toEqual(['users-v1']);
    // Nothing of it is on this machine's engine.
    expect((await docker.listVolumes({ filters: { name: [`${p.project}-prod-files`] } })).Volumes ?? []).toEqual([]);
  });
});
