// `check --live` tries what an attacker would (issue 10), on the real engine through the real CLI:
//   - the demo fleet (examples/two-apps-three-envs: dev, staging and prod sharing one Postgres and
//     one Redis, with Redis ACL users and key prefixes, on the local engine): from each
//     environment's network, with the credentials Slipway gave its apps, every attempt runs and is
//     refused (SCAN in another environment's DB too), the check passes, and the attacker
//     containers are gone afterwards;
//   - holes opened by hand (staging's Redis ACL user widened to every command and key; GRANT
//     CONNECT on prod's database to staging's role) fail the check, naming the attempt, the
//     environment and what answered, and nothing else;
//   - Redis `scope: environment` (an instance each): the check passes too;
//   - the two simulated servers (hostA, hostB over SSH: prod alone on vps1, dev and staging on
//     vps2): the attempts run on each host, against that host's own instances.
// Only `up` runs (no app is deployed): the attempts need the networks, the shared instances and
// the credentials Slipway generated, not the apps.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts, type HarnessHostName, type HarnessHosts } from './harness/hosts.ts';
import { execIn } from './support/container-exec.ts';
import { REPO, slipway, slipwayOk, type CliResult } from './support/cli.ts';
import { multiFleetYaml } from './support/multi-fleet.ts';
import { cleanupProjectOn, hostContainers, hostDocker } from './support/multi-hosts.ts';
import { cleanupProject, freePort, makeProject, projectContainers, type TestProject } from './support/project.ts';

interface Live {
  server: string;
  check: string;
  ok: boolean;
  subject: string;
  message: string;
  env?: string;
  app?: string;
  attempt?: string;
  target?: string;
  victim?: string;
  outcome?: 'refused' | 'succeeded' | 'inconclusive';
  answer?: string;
  ms?: number;
}
interface CheckJson {
  ok: boolean;
  live: Live[];
  liveTimings: { server: string; ms: number }[];
}

const ENVS = ['dev', 'staging', 'prod'];
const POSTGRES_ATTEMPTS = [
  'postgres/no-credentials',
  'postgres/no-credentials-own',
  'postgres/create-database',
  'postgres/create-role',
  'postgres/read-pg-authid',
];
const REDIS_ATTEMPTS = ['redis/no-credentials', 'redis/flushall', 'redis/config-get', 'redis/keys'];
const attacks = (r: CheckJson) => r.live.filter((l) => l.attempt !== undefined);
const parse = (r: CliResult) => JSON.parse(r.stdout) as CheckJson;
const noStack = (r: CliResult) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
const timings: Record<string, number> = {};

/** Every attempt that got through or proved nothing (a failed check), one line each, for assertion messages. */
const notRefused = (r: CheckJson) =>
  attacks(r)
    .filter((l) => !l.ok)
    .map((l) => `[${l.server}] ${l.env} ${l.attempt}: ${l.outcome}: ${l.answer}`);

describe('check --live on the demo fleet (local engine)', () => {
  let p: TestProject;
  let cwd: string;
  let yaml: string;
  const docker = new Docker();
  const cli = (args: string[]) => slipway(args, { cwd });

  beforeAll(async () => {
    await ensureEngine();
    await ensureImages(['busybox', 'caddy', 'postgres15', 'redis']);
    p = makeProject('atk');
    cwd = join(p.dir, 'examples', 'two-apps-three-envs');
    mkdirSync(cwd, { recursive: true });
    yaml = readFileSync(join(REPO, 'examples', 'two-apps-three-envs', 'slipway.yaml'), 'utf8')
      .replace('project: suffren', `project: ${p.project}`)
      .replace('http_port: 8080', `http_port: ${await freePort()}`);
    writeFileSync(join(cwd, 'slipway.yaml'), yaml);
    p.commit('fleet');
    const t0 = Date.now();
    await slipwayOk(['up'], { cwd });
    timings['local up'] = Date.now() - t0;
  }, 600_000);

  afterAll(async () => {
    if (p) await cleanupProject(p.project, p.dir);
    console.log(`isolation-attacks timings (ms): ${JSON.stringify(timings)}`);
  }, 120_000);

  const services = async (service: string) =>
    (await projectContainers(p.project))
      .filter((x) => x.labels['slipway.role'] === 'service' && x.labels['slipway.service'] === service && x.state === 'running')
      .map((c) => c.name);
  const instance = async (service: string) => {
    const [c] = await services(service);
    if (!c) throw new Error(`no running ${service} instance`);
    return c;
  };

  /** Each environment ran every attempt, against the instance it uses, and was refused with the server's own words. */
  const expectEveryAttempt = async (out: CheckJson, redisShared: boolean) => {
    const pg = await instance('postgres');
    const redis = await services('redis');
    for (const env of ENVS) {
      const mine = attacks(out).filter((l) => l.env === env);
      const names = new Set(mine.map((l) => l.attempt));
      for (const a of [...POSTGRES_ATTEMPTS, ...REDIS_ATTEMPTS]) expect(names, `${env} ran ${a}`).toContain(a);
      const others = [...ENVS.filter((e) => e !== env)].sort();
      // One shared Postgres: the other two environments' databases, from this one's network.
      const victims = (prefix: string) =>
        mine
          .filter((l) => l.attempt!.startsWith(prefix))
          .map((l) => l.victim)
          .sort();
      expect(victims('postgres/connect:')).toEqual(others);
      for (const kind of ['redis/select-read:', 'redis/select-write:', 'redis/select-list:']) expect(victims(kind), kind).toEqual(redisShared ? others : []);
      expect(mine.filter((l) => l.attempt!.startsWith('postgres/')).every((l) => l.target === pg && l.check === 'database')).toBe(true);
      const redisTargets = new Set(mine.filter((l) => l.attempt!.startsWith('redis/')).map((l) => l.target));
      expect(redisTargets.size).toBe(1);
      expect(redis).toContain([...redisTargets][0]);
      // Each answer is the server's refusal, not a network failure.
      const answer = (a: string) => mine.find((l) => l.attempt === a)!.answer;
      expect(answer('postgres/create-database')).toMatch(/permission denied to create database/);
      expect(answer('postgres/create-role')).toMatch(/permission denied to create role/);
      expect(answer('postgres/read-pg-authid')).toMatch(/permission denied for table pg_authid/);
      expect(answer('postgres/no-credentials')).toMatch(/password/);
      expect(answer('redis/no-credentials')).toMatch(/NOAUTH/);
      expect(answer('redis/flushall')).toMatch(/NOPERM/);
      expect(answer('redis/config-get')).toMatch(/NOPERM/);
      for (const l of mine.filter((x) => /^redis\/select-(read|write|list):/.test(x.attempt!))) expect(l.answer, l.attempt).toMatch(/NOPERM/);
    }
    expect(attacks(out).every((l) => typeof l.ms === 'number')).toBe(true);
    // The attacker containers are gone.
    expect((await projectContainers(p.project)).filter((c) => c.labels['slipway.role'] === 'probe')).toEqual([]);
  };

  it('shared Redis with ACL users and key prefixes: every attempt from every environment is refused, and the check passes', async () => {
    const t0 = Date.now();
    const r = await cli(['check', '--live', '--json']);
    timings['check --live (local, shared)'] = Date.now() - t0;
    const out = parse(r);
    expect(notRefused(out), r.stdout).toEqual([]);
    await expectEveryAttempt(out, true);
    // SCAN in another environment's DB would list its key names whatever the key patterns: on a
    // shared instance Slipway's ACL denies it.
    for (const l of attacks(out).filter((x) => x.attempt!.startsWith('redis/select-list:'))) expect(l.answer, l.attempt).toMatch(/NOPERM.*'scan'/);
    expect(r.code).toBe(0);
    expect(out.ok).toBe(true);
    expect(out.liveTimings.map((t) => t.server)).toEqual(['local']);
  }, 300_000);

  it("staging's Redis ACL user widened to every command and key: FLUSHALL, CONFIG, KEYS and prod's keys are reported, from staging only", async () => {
    const redis = await instance('redis');
    const admin = await adminRedisPassword(docker, p.project, redis);
    const redisCli = (...args: string[]) => execIn(docker, redis, ['redis-cli', '--user', 'slipway-admin', ...args], [`REDISCLI_AUTH=${admin}`]);
    const set = await redisCli('ACL', 'SETUSER', 'aletheia.staging', 'allcommands', 'allkeys');
    expect(set.stdout.trim(), set.stderr).toBe('OK');
    try {
      const r = await cli(['check', '--live', '--json']);
      expect(r.code).toBe(1);
      const failed = parse(r).live.filter((l) => !l.ok);
      expect(new Set(failed.map((l) => l.env))).toEqual(new Set(['staging']));
      const got = new Set(failed.map((l) => l.attempt!.replace(/:\d+$/, '')));
      expect(got).toEqual(new Set(['redis/flushall', 'redis/config-get', 'redis/keys', 'redis/select-read', 'redis/select-write', 'redis/select-list']));
      const read = failed.find((l) => l.attempt!.startsWith('redis/select-read:') && l.victim === 'prod');
      expect(read, JSON.stringify(failed)).toMatchObject({ target: redis, outcome: 'succeeded', app: 'aletheia' });
      expect(read!.answer).toMatch(/canary/);
      expect(failed.find((l) => l.attempt === 'redis/flushall')!.answer).toMatch(/QUEUED/);
      // The human view names the attempt, the environment and what answered.
      const human = await cli(['check', '--live']);
      expect(human.code).toBe(1);
      noStack(human);
      expect(human.stdout).toMatch(
        /✗ \[local\] redis: staging: FLUSHALL \(queued in MULTI, then discarded\) — SUCCEEDED on \S+ \(aletheia's REDIS_URL\): QUEUED/,
      );
      expect(human.stdout).toMatch(/^ {2}✗ redis\/select-read:\d+ → prod on \S+ \[local\] from staging: /m);
    } finally {
      await redisCli('ACL', 'LOAD');
    }
    // Nothing was flushed by the FLUSHALL attempts: the canaries of the next run are read back as before.
    const again = parse(await cli(['check', '--live', '--json']));
    expect(notRefused(again)).toEqual([]);
  }, 300_000);

  it('Redis scope: environment (an instance each): check --live passes, every attempt refused', async () => {
    writeFileSync(join(cwd, 'slipway.yaml'), yaml.replace(/redis: \{ image: redis:7, scope: server/, 'redis: { image: redis:7, scope: environment'));
    expect(readFileSync(join(cwd, 'slipway.yaml'), 'utf8')).toMatch(/redis: \{ image: redis:7, scope: environment/);
    await slipwayOk(['up'], { cwd });
    expect(await services('redis')).toHaveLength(3);
    const t0 = Date.now();
    const r = await cli(['check', '--live', '--json']);
    timings['check --live (local, redis per env)'] = Date.now() - t0;
    const out = parse(r);
    expect(notRefused(out), r.stdout).toEqual([]);
    await expectEveryAttempt(out, false);
    expect(r.code).toBe(0);
    expect(out.ok).toBe(true);
  }, 300_000);

  it("GRANT CONNECT on prod's database to staging's role: the check fails, naming staging → aletheia_prod and what answered", async () => {
    const pg = await instance('postgres');
    const psql = (sql: string) => execIn(docker, pg, ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'postgres', '-c', sql]);
    expect((await psql('GRANT CONNECT ON DATABASE aletheia_prod TO aletheia_staging')).exitCode).toBe(0);
    try {
      const r = await cli(['check', '--live', '--json']);
      expect(r.code).toBe(1);
      const out = parse(r);
      expect(out.ok).toBe(false);
      const failed = out.live.filter((l) => !l.ok);
      expect(failed.map((l) => `${l.env} ${l.attempt}`)).toEqual(['staging postgres/connect:aletheia_prod']);
      expect(failed[0]).toMatchObject({
        server: 'local',
        check: 'database',
        env: 'staging',
        app: 'aletheia',
        victim: 'prod',
        target: pg,
        outcome: 'succeeded',
        answer: 'aletheia_prod',
      });
      const human = await cli(['check', '--live']);
      expect(human.code).toBe(1);
      noStack(human);
      expect(human.stdout).toMatch(/✗ \[local\] database: staging: connect to prod's database aletheia_prod as its own role — SUCCEEDED on /);
      expect(human.stdout).toMatch(/^ {2}✗ postgres\/connect:aletheia_prod → prod on \S+ \[local\] from staging: aletheia_prod$/m);
    } finally {
      await psql('REVOKE CONNECT ON DATABASE aletheia_prod FROM aletheia_staging');
    }
  }, 300_000);
});

/** Slipway's admin password for a Redis instance, read from the state volume on the local engine (test-side only). */
async function adminRedisPassword(docker: Docker, project: string, instance: string): Promise<string> {
  const vol = await docker.getVolume(`${project}-slipway-state`).inspect();
  return readFileSync(join(vol.Mountpoint, 'secrets', encodeURIComponent(`slipway/${instance}/admin`)), 'utf8');
}

describe('check --live on two simulated servers (hostA, hostB over SSH)', () => {
  const SSH = { vps1: 'root@10.200.0.2', vps2: 'root@10.200.0.3' };
  const HOST_OF: Record<string, HarnessHostName> = { vps1: 'hostA', vps2: 'hostB' };
  let hosts: HarnessHosts;
  let p: TestProject;
  let env: Record<string, string>;
  let docker: Record<HarnessHostName, Docker>;

  beforeAll(async () => {
    await ensureImages(['busybox', 'node', 'nginx', 'postgres17', 'redis']);
    hosts = await hostsUp();
    await loadImagesIntoHosts(['busybox:1.36', 'node:20-slim', 'nginx:1.27', 'postgres:17', 'redis:7']);
    docker = { hostA: hostDocker(hosts, 'hostA'), hostB: hostDocker(hosts, 'hostB') };
    p = makeProject('atkms');
    p.writeFleet(multiFleetYaml({ project: p.project, ssh: SSH }));
    p.commit('fleet');
    env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
    const t0 = Date.now();
    await slipwayOk(['up'], { cwd: p.dir, env });
    timings['hosts up'] = Date.now() - t0;
  }, 900_000);

  afterAll(async () => {
    if (p && docker) await Promise.all([cleanupProjectOn(docker.hostA, p.project), cleanupProjectOn(docker.hostB, p.project)]);
  }, 300_000);

  it("the attempts run on each host against its own instances, from each environment's network, and are refused", async () => {
    const t0 = Date.now();
    const r = await slipway(['check', '--live', '--json'], { cwd: p.dir, env });
    timings['check --live (hosts)'] = Date.now() - t0;
    const out = parse(r);
    expect(notRefused(out), r.stdout).toEqual([]);
    expect(r.code).toBe(0);
    expect(new Set(out.liveTimings.map((t) => t.server))).toEqual(new Set(['vps1', 'vps2']));
    const placed: Record<string, string[]> = { vps1: ['prod'], vps2: ['dev', 'staging'] };
    for (const [server, envs] of Object.entries(placed)) {
      const here = attacks(out).filter((l) => l.server === server);
      expect(new Set(here.map((l) => l.env)), server).toEqual(new Set(envs));
      // The instances that answered are that host's own.
      const services = (await hostContainers(docker[HOST_OF[server]!], p.project)).filter((c) => c.labels['slipway.role'] === 'service').map((c) => c.name);
      expect(new Set(here.map((l) => l.target)), server).toEqual(new Set(services));
      for (const e of envs) {
        const names = new Set(here.filter((l) => l.env === e).map((l) => l.attempt));
        for (const a of [...POSTGRES_ATTEMPTS, ...REDIS_ATTEMPTS]) expect(names, `${server} ${e} ran ${a}`).toContain(a);
      }
      // Nothing of the attacks is left on the host.
      expect((await hostContainers(docker[HOST_OF[server]!], p.project)).filter((c) => c.labels['slipway.role'] === 'probe')).toEqual([]);
    }
    // vps2 has two environments on one Postgres: each tries the other's database.
    expect(
      attacks(out)
        .filter((l) => l.server === 'vps2' && l.attempt!.startsWith('postgres/connect:'))
        .map((l) => `${l.env} → ${l.victim}`)
        .sort(),
    ).toEqual(['dev → staging', 'staging → dev']);
  }, 300_000);
});
