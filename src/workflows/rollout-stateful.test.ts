// The rollout of a compose app against the recording FakeEngine: a stateful process (postgres on a
// named volume) is replaced stop-first and only when its spec changed; unchanged processes are left
// running, untouched; processes start in depends_on order with the three conditions; a one-off task
// (service_completed_successfully) runs once per rollout before its dependents, and when it fails
// the rollout fails with its output and nothing after it starts; a targeted rollout replaces only
// the processes it names.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { fakeComposeWorld, gitRepo, type FakeComposeWorld } from '../../test/support/compose-app.ts';
import { UserError } from '../diag/errors.ts';
import type { FakeEngine } from '../engine/fake-engine.ts';
import { UnhealthyError } from './health.ts';
import { readHistory, type ReleaseRecord } from './releases.ts';
import { rollout, type RolloutOptions } from './rollout.ts';

const FLEET = `project: acme
servers:
  local: { local: true, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  prod: { server: local, domain: "{app}.localhost", tls: "off" }
apps:
  shop: { compose: docker-compose.yml }
`;

const compose = (pgEnv = 'postgres') => `services:
  web:
    build: .
    command: ["node", "server.js"]
    ports: ["8000:8000"]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
      cache: { condition: service_started }
  worker:
    build: .
    command: ["node", "worker.js"]
    depends_on: [db]
  migrate:
    build: .
    command: ["node", "migrate.js"]
    depends_on:
      db: { condition: service_healthy }
  db:
    image: postgres:15
    environment: { POSTGRES_USER: ${pgEnv} }
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U $$POSTGRES_USER"], interval: 1s, timeout: 1s, retries: 5 }
  cache:
    image: redis:7
    volumes: ["cachedata:/data"]
volumes: { pgdata: {}, cachedata: {} }
`;

const repos: string[] = [];
afterAll(() => {
  for (const d of repos) rmSync(d, { recursive: true, force: true });
});

const R1 = '20250101000001';
const R2 = '20250101000002';
const name = (process: string, release: string) => `acme-shop-prod-${process}-0-${release}`;

async function world(): Promise<FakeComposeWorld & { repo: ReturnType<typeof gitRepo>; roll(release: string, opts?: Partial<RolloutOptions>): Promise<void> }> {
  const repo = gitRepo({ 'slipway.yaml': FLEET, 'docker-compose.yml': compose(), Dockerfile: 'FROM node:20-slim\nCOPY . /app\n' });
  repos.push(repo.dir);
  const w = await fakeComposeWorld(repo.dir, ['postgres:15', 'redis:7']);
  const roll = async (release: string, opts: Partial<RolloutOptions> = {}) => {
    for (const p of ['web', 'worker', 'migrate']) w.fake.addImage(`acme/shop-${p}:prod-${release}`);
    const rec: ReleaseRecord = {
      release,
      image: `acme/shop:prod-${release}`,
      deployedAt: new Date(w.clock.t).toISOString(),
      deployedBy: 'test',
      status: 'live',
    };
    await rollout(w.run, w.fleet.apps[0]!, 'prod', rec, { drainMs: 0, keep: 3, checkpoint: () => undefined, ...opts });
  };
  return Object.assign(w, { repo, roll });
}

/** Index of the first transcript entry of `op` whose first argument (or its name) is `target`. */
function at(fake: FakeEngine, op: string, target: string): number {
  return fake.transcript.findIndex((e) => e.op === op && (e.args[0] === target || (e.args[0] as { name?: string })?.name === target));
}
const idOf = (fake: FakeEngine, n: string) => fake.find(n)!.id;
const runningApp = (fake: FakeEngine) =>
  [...fake.containers.values()]
    .filter((c) => c.spec.labels['slipway.role'] === 'app' && c.state === 'running')
    .map((c) => c.name)
    .sort();
const tasksRun = (fake: FakeEngine) => fake.calls('runOnce').map((a) => (a[0] as { name: string }).name);

describe('compose app rollout: depends_on order, tasks, stateful processes', () => {
  it('first rollout: db healthy, then the migrate task, then web (after db, migrate and cache); worker after db', async () => {
    const w = await world();
    await w.roll(R1);
    const f = w.fake;
    expect(runningApp(f)).toEqual([name('cache', R1), name('db', R1), name('web', R1), name('worker', R1)]);
    const dbStart = at(f, 'startContainer', idOf(f, name('db', R1)));
    const migrate = at(f, 'runOnce', name('migrate', R1));
    const webCreate = at(f, 'createContainer', name('web', R1));
    expect(dbStart).toBeGreaterThanOrEqual(0);
    expect(dbStart).toBeLessThan(migrate);
    expect(migrate).toBeLessThan(webCreate);
    expect(at(f, 'startContainer', idOf(f, name('cache', R1)))).toBeLessThan(webCreate);
    expect(dbStart).toBeLessThan(at(f, 'createContainer', name('worker', R1)));
    // The task: a one-off container (never restarted), of the release's image, gone once done.
    const task = f.calls('runOnce')[0]![0] as { image: string; restart: string; cmd: string[]; labels: Record<string, string> };
    expect(task).toMatchObject({ image: `acme/shop-migrate:prod-${R1}`, restart: 'no', cmd: ['node', 'migrate.js'] });
    expect(task.labels).toMatchObject({ 'slipway.role': 'release-task', 'slipway.process': 'migrate', 'slipway.release': R1 });
    expect([...f.containers.values()].filter((c) => c.spec.labels['slipway.process'] === 'migrate')).toEqual([]);
    // The compose healthcheck is the container's Docker healthcheck, as compose wrote it.
    const db = f.calls('createContainer').find((a) => (a[0] as { name: string }).name === name('db', R1))![0] as { healthcheck: unknown };
    expect(db.healthcheck).toEqual({ test: ['CMD-SHELL', 'pg_isready -U $POSTGRES_USER'], intervalMs: 1000, timeoutMs: 1000, retries: 5, startPeriodMs: 0 });
  });

  it('next rollout, db and cache unchanged: they keep running untouched; web and worker are replaced; migrate runs again', async () => {
    const w = await world();
    await w.roll(R1);
    const db = idOf(w.fake, name('db', R1));
    const cache = idOf(w.fake, name('cache', R1));
    w.fake.clearTranscript();
    await w.roll(R2);
    const f = w.fake;
    expect(runningApp(f)).toEqual([name('cache', R1), name('db', R1), name('web', R2), name('worker', R2)]);
    const touched = f.transcript.filter(
      (e) => ['stopContainer', 'startContainer', 'removeContainer', 'createContainer'].includes(e.op) && [db, cache].includes(e.args[0] as string),
    );
    expect(touched).toEqual([]);
    expect(f.calls('createContainer').map((a) => (a[0] as { name: string }).name)).toEqual([name('web', R2), name('worker', R2)]);
    expect(tasksRun(f)).toEqual([name('migrate', R2)]);
    const h = await readHistory(w.run.store, 'shop', 'prod');
    expect(h.releases[0]).toMatchObject({ release: R2, status: 'live', carried: { 'cache/0': R1, 'db/0': R1 } });
  });

  it('db spec changed: the old db is stopped before the new one is created (never two on the volume); cache untouched', async () => {
    const w = await world();
    await w.roll(R1);
    const oldDb = idOf(w.fake, name('db', R1));
    const cache = idOf(w.fake, name('cache', R1));
    w.repo.commit({ 'docker-compose.yml': compose('app') });
    w.reload();
    w.fake.clearTranscript();
    await w.roll(R2);
    const f = w.fake;
    const stopOld = at(f, 'stopContainer', oldDb);
    const createNew = at(f, 'createContainer', name('db', R2));
    expect(stopOld).toBeGreaterThanOrEqual(0);
    expect(stopOld).toBeLessThan(createNew);
    // From the transcript, the db containers running at every moment: never more than one.
    let up = 1;
    let most = 1;
    const newDb = idOf(f, name('db', R2));
    for (const e of f.transcript) {
      if (e.op === 'stopContainer' && e.args[0] === oldDb) up--;
      if (e.op === 'startContainer' && e.args[0] === newDb) up++;
      most = Math.max(most, up);
    }
    expect(most).toBe(1);
    expect(f.find(oldDb)?.state).toBe('exited'); // kept (stopped) for rollback
    expect(runningApp(f)).toEqual([name('cache', R1), name('db', R2), name('web', R2), name('worker', R2)]);
    expect(f.transcript.filter((e) => e.args[0] === cache && e.op !== 'inspectContainer')).toEqual([]);
    // The db is replaced before what waits for it: migrate, then web, run against the new one.
    expect(at(f, 'startContainer', newDb)).toBeLessThan(at(f, 'runOnce', name('migrate', R2)));
    expect((await readHistory(w.run.store, 'shop', 'prod')).releases[0]!.carried).toEqual({ 'cache/0': R1 });
  });

  it('service_healthy: web is not created before the new db reports healthy', async () => {
    const w = await world();
    w.fake.onStart(name('db', R1), { health: 'starting' });
    let polls = 0;
    let healthyAt = -1;
    w.onSleep = () => {
      if (++polls === 5) {
        w.fake.setHealth(name('db', R1), 'healthy');
        healthyAt = w.fake.transcript.length;
      }
    };
    await w.roll(R1);
    expect(healthyAt).toBeGreaterThan(0);
    expect(at(w.fake, 'runOnce', name('migrate', R1))).toBeGreaterThan(healthyAt);
    expect(at(w.fake, 'createContainer', name('web', R1))).toBeGreaterThan(healthyAt);
  });

  it('service_healthy on a carried db: web waits for it to be healthy now, and a db gone unhealthy stops the rollout before web', async () => {
    const w = await world();
    await w.roll(R1);
    w.fake.setHealth(name('db', R1), 'unhealthy');
    w.fake.clearTranscript();
    const err = await w.roll(R2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnhealthyError);
    expect((err as Error).message).toMatch(/^acme-shop-prod-db-0 did not become healthy/);
    expect(at(w.fake, 'createContainer', name('web', R2))).toBe(-1);
    expect(at(w.fake, 'runOnce', name('migrate', R2))).toBe(-1);
    expect(runningApp(w.fake)).toEqual([name('cache', R1), name('db', R1), name('web', R1), name('worker', R1)]);
  });

  it('a db whose Docker health check fails: the rollout fails before the task and web, and removes what it started', async () => {
    const w = await world();
    w.fake.onStart(name('db', R1), { health: 'unhealthy', logs: 'FATAL: data directory has wrong ownership\n' });
    const err = await w.roll(R1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnhealthyError);
    expect((err as Error).message).toMatch(/acme-shop-prod-db-0 did not become healthy: its health check .*pg_isready.* failed[\s\S]*wrong ownership/);
    expect(tasksRun(w.fake)).toEqual([]);
    expect(at(w.fake, 'createContainer', name('web', R1))).toBe(-1);
    expect(runningApp(w.fake)).toEqual([]);
  });

  it('a failing task fails the rollout with its output; nothing that waits for it starts; the previous release keeps serving', async () => {
    const w = await world();
    await w.roll(R1);
    w.fake.clearTranscript();
    w.fake.onStart(name('migrate', R2), { exitCode: 3, logs: 'migration 0042 failed: column "sku" already exists\n' });
    const err = await w.roll(R2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^task "migrate" exited with code 3; release 20250101000002 was not deployed/);
    expect((err as Error).message).toContain('column "sku" already exists');
    expect(at(w.fake, 'createContainer', name('web', R2))).toBe(-1);
    expect(runningApp(w.fake)).toEqual([name('cache', R1), name('db', R1), name('web', R1), name('worker', R1)]);
    expect((await readHistory(w.run.store, 'shop', 'prod')).current).toBe(R1);
  });

  it('a targeted rollout replaces only the named processes; the others keep running as they are, tasks they do not wait for do not run', async () => {
    const w = await world();
    await w.roll(R1);
    w.fake.clearTranscript();
    await w.roll(R2, { processes: ['worker'] });
    expect(runningApp(w.fake)).toEqual([name('cache', R1), name('db', R1), name('web', R1), name('worker', R2)]);
    expect(w.fake.calls('createContainer').map((a) => (a[0] as { name: string }).name)).toEqual([name('worker', R2)]);
    expect(tasksRun(w.fake)).toEqual([]);
    expect((await readHistory(w.run.store, 'shop', 'prod')).releases[0]!.carried).toEqual({ 'cache/0': R1, 'db/0': R1, 'web/0': R1 });
    // Targeting web runs the task web waits for.
    await w.roll('20250101000003', { processes: ['web'] });
    expect(tasksRun(w.fake)).toEqual([name('migrate', '20250101000003')]);
  });

  it('rollback (runTasks: false) does not run tasks again; carried containers of a kept release are not pruned', async () => {
    const w = await world();
    await w.roll(R1);
    await w.roll(R2);
    w.fake.clearTranscript();
    await w.roll(R1, { runTasks: false });
    expect(tasksRun(w.fake)).toEqual([]);
    expect(runningApp(w.fake)).toEqual([name('cache', R1), name('db', R1), name('web', R1), name('worker', R1)]);
    await w.roll('20250101000003', { keep: 1 });
    expect(w.fake.find(name('db', R1))?.state).toBe('running');
  });
});
