// `check --live` tries what an attacker would (issue 10), on the real engine through the real CLI:
//   - the demo fleet (examples/two-apps-three-envs: dev, staging and prod sharing one Postgres and
//     one Redis on the local engine): from each environment's network, with the credentials Slipway
//     gave its apps, every attempt runs and is refused, the attacker containers are gone afterwards;
//     then holes are opened by hand (GRANT CONNECT on prod's database to staging's role; staging's
//     Redis ACL user widened to every command and key) and the check fails, naming the attempt,
//     the environment and what answered, and nothing else;
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
  const docker = new Docker();
  const cli = (args: string[]) => slipway(args, { cwd });

  beforeAll(async () => {
    await ensureEngine();
    await ensureImages(['busybox', 'caddy', 'postgres15', 'redis']);
    p = makeProject('atk');
    cwd = join(p.dir, 'examples', 'two-apps-three-envs');
    mkdirSync(cwd, { recursive: true });
    const yaml = readFileSync(join(REPO, 'examples', 'two-apps-three-envs', 'slipway.yaml'), 'utf8')
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

  const instance = async (service: string) => {
    const c = (await projectContainers(p.project)).find(
      (x) => x.labels['slipway.role'] === 'service' && x.labels['slipway.service'] === service && x.state === 'running',
    );
    if (!c) throw new Error(`no running ${service} instance`);
    return c.name;
  };

  it('runs every attempt from every environment, each refused; the attacker containers are removed', async () => {
    const t0 = Date.now();
    const r = await cli(['check', '--live', '--json']);
    timings['check --live (local)'] = Date.now() - t0;
    const out = parse(r);
    expect(notRefused(out), r.stdout).toEqual([]);
    expect(r.code).toBe(0);
    expect(out.ok).toBe(true);
    const pg = await instance('postgres');
    const redis = await instance('redis');
    for (const env of ENVS) {
      const mine = attacks(out).filter((l) => l.env === env);
      const names = new Set(mine.map((l) => l.attempt));
      for (const a of [...POSTGRES_ATTEMPTS, ...REDIS_ATTEMPTS]) expect(names, `${env} ran ${a}`).toContain(a);
      // One shared Postgres: the other two environments' databases, from this one's network.
      const others = ENVS.filter((e) => e !== env);
      expect(
        mine
          .filter((l) => l.attempt!.startsWith('postgres/connect:'))
          .map((l) => l.victim)
          .sort(),
      ).toEqual([...others].sort());
      expect(mine.filter((l) => l.attempt!.startsWith('postgres/')).every((l) => l.target === pg && l.check === 'database')).toBe(true);
      expect(mine.filter((l) => l.attempt!.startsWith('redis/')).every((l) => l.target === redis && l.check === 'redis')).toBe(true);
      // Each answer is the server's refusal, not a network failure.
      expect(mine.find((l) => l.attempt === 'postgres/create-database')!.answer).toMatch(/permission denied to create database/);
      expect(mine.find((l) => l.attempt === 'postgres/read-pg-authid')!.answer).toMatch(/permission denied for table pg_authid/);
      expect(mine.find((l) => l.attempt === 'postgres/no-credentials')!.answer).toMatch(/password/);
      expect(mine.find((l) => l.attempt === 'redis/no-credentials')!.answer).toMatch(/NOAUTH|WRONGPASS|NOPERM/);
      expect(mine.find((l) => l.attempt === 'redis/flushall')!.answer).toMatch(/NOPERM/);
      expect(mine.find((l) => l.attempt === 'redis/config-get')!.answer).toMatch(/NOPERM/);
    }
    expect(out.liveTimings.map((t) => t.server)).toEqual(['local']);
    expect(attacks(out).every((l) => typeof l.ms === 'number')).toBe(true);
    const left = (await projectContainers(p.project)).filter((c) => c.labels['slipway.role'] === 'probe');
    expect(left).toEqual([]);
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
      expect(failed[0]!.message).toMatch(/SUCCEEDED/);
      // The human view names it too, with a non-zero exit and no stack trace.
      const human = await cli(['check', '--live']);
      expect(human.code).toBe(1);
      noStack(human);
      expect(human.stdout).toMatch(/✗ \[local\] database: staging: connect to prod's database aletheia_prod as its own role — SUCCEEDED on /);
      expect(human.stdout).toMatch(/^ {2}✗ postgres\/connect:aletheia_prod → prod on \S+ \[local\] from staging: aletheia_prod$/m);
    } finally {
      await psql('REVOKE CONNECT ON DATABASE aletheia_prod FROM aletheia_staging');
    }
  }, 300_000);

  it("staging's Redis ACL user widened to every command and key: FLUSHALL, CONFIG, KEYS and prod's DB are reported, from staging only", async () => {
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
      const got = new Set(failed.map((l) => l.attempt));
      for (const a of ['redis/flushall', 'redis/config-get', 'redis/keys']) expect(got, a).toContain(a);
      const read = failed.find((l) => l.attempt!.startsWith('redis/select-read:') && l.victim === 'prod');
      expect(read, JSON.stringify(failed)).toMatchObject({ target: redis, outcome: 'succeeded' });
      expect(read!.answer).toMatch(/canary/);
      expect(failed.find((l) => l.attempt === 'redis/flushall')!.answer).toMatch(/QUEUED/);
    } finally {
      await redisCli('ACL', 'LOAD');
    }
    // Nothing was flushed by the FLUSHALL attempt, and the restored ACL passes again.
    const again = parse(await cli(['check', '--live', '--json']));
    expect(notRefused(again)).toEqual([]);
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
