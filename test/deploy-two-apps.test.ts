// End to end on the real engine: the two-apps-three-envs example (seed 001) comes up, every URL
// answers with the right app, environment and release through the real Caddy proxy, staging
// cannot resolve or reach prod, and a prod deploy from a branch is refused.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { REPO, slipway, slipwayOk, transcript } from './support/cli.ts';
import { cleanupProject, freePort, makeProject, projectContainers, type TestProject } from './support/project.ts';
import { get } from './support/http.ts';

let p: TestProject;
let port: number;
let cwd: string;
const releases = new Map<string, string>();

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'caddy', 'postgres15', 'redis']);
  p = makeProject('two');
  port = await freePort();
  cwd = join(p.dir, 'examples', 'two-apps-three-envs');
  mkdirSync(cwd, { recursive: true });
  const yaml = readFileSync(join(REPO, 'examples', 'two-apps-three-envs', 'slipway.yaml'), 'utf8')
    .replace('project: suffren', `project: ${p.project}`)
    .replace('http_port: 8080', `http_port: ${port}`);
  writeFileSync(join(cwd, 'slipway.yaml'), yaml);
  p.commit('fleet');
  p.git(['branch', '-f', 'develop', 'HEAD']);
  p.git(['tag', '-f', 'v1.0.0', 'HEAD']);
  await slipwayOk(['up'], { cwd });
  for (const env of ['dev', 'staging']) await slipwayOk(['secret', 'set', `basic-auth-${env}`], { cwd, input: `pw-${env}-4711` });
  const refs: Record<string, string[]> = { dev: [], staging: ['--ref', 'develop'], prod: ['--ref', 'v1.0.0'] };
  for (const env of ['dev', 'staging', 'prod']) {
    for (const app of ['aletheia', 'helios']) {
      const r = await slipwayOk(['deploy', app, env, '--drain', '200', '--json', ...refs[env]!], { cwd });
      releases.set(`${app}/${env}`, JSON.parse(r.stdout).release);
    }
  }
}, 900_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

const host = (app: string, env: string) => (env === 'prod' ? `${app}.localhost` : `${app}-${env}.localhost`);
const auth = (env: string) => (env === 'prod' ? undefined : `team:pw-${env}-4711`);

describe('two-apps-three-envs on the local engine', () => {
  it.each(['dev', 'staging', 'prod'].flatMap((env) => ['aletheia', 'helios'].map((app) => [app, env] as const)))(
    '%s in %s answers with its app, env and release',
    async (app, env) => {
      const r = await get(port, host(app, env), '/', auth(env));
      expect(r.status).toBe(200);
      const body = JSON.parse(r.body);
      expect(body).toMatchObject({ app, env, process: 'web', release: releases.get(`${app}/${env}`) });
    },
  );

  it('non-prod asks for basic auth; prod does not', async () => {
    expect((await get(port, host('aletheia', 'staging'), '/')).status).toBe(401);
    expect((await get(port, host('aletheia', 'staging'), '/', 'team:wrong')).status).toBe(401);
    expect((await get(port, host('aletheia', 'prod'), '/')).status).toBe(200);
  });

  it('helios reaches aletheia of its own environment by alias', async () => {
    const r = await get(port, host('helios', 'staging'), '/probe?host=aletheia-staging-web&port=8000', auth('staging'));
    expect(JSON.parse(r.body)).toMatchObject({ dns: { ok: true }, tcp: { ok: true } });
  });

  it('from inside staging, prod aliases do not resolve and prod containers cannot be reached', async () => {
    const r = await get(port, host('helios', 'staging'), '/probe?host=aletheia-prod-web&port=8000', auth('staging'));
    expect(JSON.parse(r.body).dns.ok).toBe(false);
    const prodWeb = (await projectContainers(p.project)).find(
      (c) => c.labels['slipway.app'] === 'aletheia' && c.labels['slipway.env'] === 'prod' && c.labels['slipway.process'] === 'web' && c.state === 'running',
    )!;
    const info = await new Docker().getContainer(prodWeb.name).inspect();
    const ip = info.NetworkSettings.Networks[`${p.project}-prod`]!.IPAddress;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const probe = JSON.parse((await get(port, host('helios', 'staging'), `/probe?host=${ip}&port=8000`, auth('staging'))).body);
    expect(probe.tcp.ok).toBe(false);
  });

  it('each environment has its own database and Redis DB', async () => {
    const c = (await projectContainers(p.project)).find(
      (c) => c.labels['slipway.app'] === 'aletheia' && c.labels['slipway.env'] === 'staging' && c.labels['slipway.process'] === 'web' && c.state === 'running',
    )!;
    const exec = await slipwayOk(
      [
        'exec',
        'aletheia',
        'staging',
        'web',
        '--json',
        '--',
        'node',
        '-e',
        // REDIS_URL carries the environment's ACL user and password: print all but the password.
        'const u = new URL(process.env.REDIS_URL); console.log(process.env.PGDATABASE, `${u.protocol}//${u.username}@${u.host}${u.pathname}`, u.password.length, process.env.REDIS_PREFIX, process.env.DATABASE_URL ? "url" : "none")',
      ],
      { cwd },
    );
    expect(JSON.parse(exec.stdout).stdout.trim()).toBe('aletheia_staging redis://aletheia.staging@redis:6379/1 32 aletheia:staging: url');
    expect(c.name).toContain('aletheia-staging-web-0-');
  });

  it('check --live proves isolation, and reports it broken when a prod container joins staging', async () => {
    const ok = JSON.parse((await slipwayOk(['check', '--live', '--json'], { cwd })).stdout) as {
      ok: boolean;
      live: { check: string; ok: boolean; subject: string; message: string }[];
    };
    expect(ok.live.filter((l) => !l.ok)).toEqual([]);
    expect(new Set(ok.live.map((l) => l.check))).toEqual(new Set(['network', 'database', 'redis', 'published-ports']));
    expect(ok.live.filter((l) => l.check === 'network')).toHaveLength(6);
    const prodWeb = (await projectContainers(p.project)).find(
      (c) => c.labels['slipway.app'] === 'aletheia' && c.labels['slipway.env'] === 'prod' && c.labels['slipway.process'] === 'web' && c.state === 'running',
    )!;
    const net = new Docker().getNetwork(`${p.project}-staging`);
    await net.connect({ Container: prodWeb.name });
    try {
      const broken = await slipway(['check', '--live', '--json'], { cwd });
      expect(broken.code).toBe(1);
      const failed = (JSON.parse(broken.stdout) as typeof ok).live.filter((l) => !l.ok);
      expect(failed.map((l) => l.subject)).toContain('staging → prod');
      expect(failed.find((l) => l.subject === 'staging → prod')!.message).toMatch(/connects to/);
    } finally {
      await net.disconnect({ Container: prodWeb.name, Force: true });
    }
  });

  it('maintenance on serves a 503 page for that app only; off restores it', async () => {
    await slipwayOk(['maintenance', 'on', 'helios', 'prod'], { cwd });
    const down = await get(port, host('helios', 'prod'), '/');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect((await get(port, host('aletheia', 'prod'), '/')).status).toBe(200);
    await slipwayOk(['maintenance', 'off', 'helios', 'prod'], { cwd });
    expect(JSON.parse((await get(port, host('helios', 'prod'), '/')).body).release).toBe(releases.get('helios/prod'));
  });

  it('refuses a prod deploy from a branch, and leaves prod as it was', async () => {
    const r = await slipway(['deploy', 'aletheia', 'prod', '--ref', 'main'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/prod deploys only from a git tag matching "v\*"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(JSON.parse((await get(port, host('aletheia', 'prod'), '/')).body).release).toBe(releases.get('aletheia/prod'));
  });

  it('status lists every process with its release; the plan against the engine is empty for deployed apps', async () => {
    const rows = (
      JSON.parse((await slipwayOk(['status', '--json'], { cwd })).stdout) as {
        processes: { app: string; env: string; process: string; release: string; state: string; health: string }[];
      }
    ).processes;
    const web = rows.find((r) => r.app === 'aletheia' && r.env === 'prod' && r.process === 'web')!;
    expect(web).toMatchObject({ state: 'running', health: 'healthy', release: releases.get('aletheia/prod') });
    expect(rows.filter((r) => r.state === 'not deployed')).toEqual([]);
    const plan = JSON.parse((await slipwayOk(['plan', '--json'], { cwd })).stdout) as { actions: { kind: string; type: string; id: string; reason: string }[] };
    expect(plan.actions.filter((a) => a.type === 'container' || a.type === 'network' || a.type === 'database' || a.type === 'route')).toEqual([]);
  });

  it('no secret value ever appears in anything the CLI printed', async () => {
    // The generated database password, read from inside the container (not through the CLI).
    const c = (await projectContainers(p.project)).find(
      (c) => c.labels['slipway.app'] === 'aletheia' && c.labels['slipway.env'] === 'prod' && c.labels['slipway.process'] === 'web' && c.state === 'running',
    )!;
    const exec = await new Docker()
      .getContainer(c.name)
      .exec({ Cmd: ['node', '-e', 'process.stdout.write(new URL(process.env.DATABASE_URL).password)'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const raw = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const dbPassword = raw.subarray(8).toString('utf8'); // one stdout frame: 8-byte header
    expect(dbPassword.length).toBeGreaterThanOrEqual(20);
    const printed = transcript.join('\n');
    expect(printed.length).toBeGreaterThan(1000);
    for (const secret of ['pw-dev-4711', 'pw-staging-4711', dbPassword]) expect(printed.includes(secret), `a secret appeared in CLI output`).toBe(false);
  });
});
