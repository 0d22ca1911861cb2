// On the real engine, with the real CLI: a compose app of Postgres on a named volume (with a
// pg_isready healthcheck), a web process and a one-off migrate job (`service_completed_successfully`)
// is deployed, then redeployed twice while a writer inserts rows into Postgres:
// - deploy 2 changes Postgres's command: Postgres is replaced stop-first;
// - deploy 3 changes nothing of Postgres: it keeps running, untouched (same container).
// From the engine's own event stream (GET /events, filtered by the project's label):
// - at no moment do two containers run on the Postgres data volume;
// - the migrate job ran exactly once per deploy, exited 0, after Postgres was healthy and before
//   the web container of its release started, and never restarted;
// and every row the database acknowledged is still there. Docker reports Postgres healthy (its
// compose healthcheck is a Docker healthcheck).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipwayOk } from './support/cli.ts';
import { type PgWriterReport, startPgWriter } from './support/pg-writer.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

const docker = new Docker();
let p: TestProject;
let port: number;

const compose = (pgCommand: string[]) => `services:
  web:
    build: ./examples/apps/echo
    ports: ["8000:8000"]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
  migrate:
    build: ./examples/apps/echo
    command: ["node", "server.js", "migrate"]
    depends_on:
      db: { condition: service_healthy }
  db:
    image: postgres:15
    command: ${JSON.stringify(pgCommand)}
    environment: { POSTGRES_HOST_AUTH_METHOD: trust, POSTGRES_DB: shop }
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U postgres -d shop"], interval: 1s, timeout: 3s, retries: 60 }
volumes: { pgdata: {} }
`;

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's event and inspect JSON, read field by field
type Json = Record<string, any>;

interface Event {
  action: string;
  id: string;
  name: string;
  process: string;
  role: string;
  release: string;
  exitCode?: number;
  /** Engine time, ns. */
  t: number;
  /** Named volumes the container mounts read-write (read at create). */
  volumes: string[];
}

const LIFECYCLE = new Set(['create', 'start', 'restart', 'die', 'stop', 'kill', 'destroy', 'pause', 'unpause', 'rename', 'oom']);

/** Records the project's container lifecycle events, in the engine's order, with each container's volumes. */
async function recordEvents(project: string): Promise<{ stop(): Promise<Event[]> }> {
  const since = Math.floor(Date.now() / 1000) - 1;
  const stream = (await docker.getEvents({ since, filters: { type: ['container'], label: [`slipway.project=${project}`] } })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  const events: Event[] = [];
  const mounts = new Map<string, string[]>();
  let chain = Promise.resolve();
  let partial = '';
  const handle = async (e: Json) => {
    // Lifecycle only: the health checks' and the writer's execs are events too.
    if (!LIFECYCLE.has(String(e.Action ?? e.status))) return;
    const id = String(e.id ?? e.Actor?.ID ?? '');
    const a = (e.Actor?.Attributes ?? {}) as Record<string, string>;
    if (!mounts.has(id)) {
      const info = (await docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined)) as Json | undefined;
      mounts.set(
        id,
        (info?.Mounts ?? []).filter((m: Json) => m.Type === 'volume' && m.RW !== false).map((m: Json) => String(m.Name)),
      );
    }
    events.push({
      action: String(e.Action ?? e.status),
      id,
      name: a.name ?? '',
      process: a['slipway.process'] ?? '',
      role: a['slipway.role'] ?? '',
      release: a['slipway.release'] ?? '',
      ...(a.exitCode !== undefined ? { exitCode: Number(a.exitCode) } : {}),
      t: Number(e.timeNano ?? 0),
      volumes: mounts.get(id) ?? [],
    });
  };
  stream.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) chain = chain.then(() => handle(JSON.parse(line) as Json));
  });
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 1500)); // let the engine deliver what already happened
      stream.destroy();
      await chain;
      return events;
    },
  };
}

/** The most containers running on `volume` at once, replaying start/die events in order. */
function mostAtOnce(events: Event[], volume: string, runningBefore: string[]): { most: number; overlaps: string[][] } {
  const up = new Set(runningBefore);
  let most = up.size;
  const overlaps: string[][] = [];
  for (const e of events) {
    if (!e.volumes.includes(volume)) continue;
    if (e.action === 'start') up.add(e.name);
    if (e.action === 'die') up.delete(e.name);
    if (up.size > 1) overlaps.push([...up]);
    most = Math.max(most, up.size);
  }
  return { most, overlaps };
}

const psql = (container: string, sql: string) =>
  execFileSync('docker', ['exec', '-u', 'postgres', container, 'psql', '-X', '-tA', '-d', 'shop', '-c', sql], { encoding: 'utf8' }).trim();

async function running(process: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ filters: { label: [`slipway.project=${p.project}`, `slipway.process=${process}`, 'slipway.role=app'], status: ['running'] } });
}

const deploys: { events: Event[]; release: string; dbBefore: string; dbAfter: string; writer: PgWriterReport }[] = [];
let firstEvents: Event[] = [];
let firstRelease = '';
let volume = '';

async function deploy(): Promise<string> {
  const r = await slipwayOk(['deploy', 'shop', 'prod', '--drain', '0', '--json'], { cwd: p.dir });
  return (JSON.parse(r.stdout) as { release: string }).release;
}

/** Redeploys under the writer, recording the engine's events. */
async function redeploy(): Promise<void> {
  const table = `rows${deploys.length + 1}`;
  const dbBefore = (await running('db'))[0]!.Names[0]!.slice(1);
  const watch = await recordEvents(p.project);
  const writer = startPgWriter({
    docker,
    find: async () => (await running('db'))[0]?.Id,
    user: 'postgres',
    database: 'shop',
    insert: (id) => `INSERT INTO ${table} (id) VALUES (${id}) RETURNING id;`,
  });
  // Let the writer get going before the deploy starts.
  while (writer.acknowledgedCount() < 20) await new Promise((r) => setTimeout(r, 50));
  const release = await deploy();
  await new Promise((r) => setTimeout(r, 1000));
  const report = await writer.stop();
  const events = await watch.stop();
  deploys.push({ events, release, dbBefore, dbAfter: (await running('db'))[0]!.Names[0]!.slice(1), writer: report });
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'postgres15', 'node']);
  p = makeProject('stdeploy');
  port = await freePort();
  volume = `${p.project}-prod-shop-pgdata`;
  p.writeFleet(`project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }
environments:
  prod: { server: local, deploy: any, domain: "{app}-prod.localhost", tls: "off" }
apps:
  shop: { compose: docker-compose.yml }
`);
  writeFileSync(join(p.dir, 'docker-compose.yml'), compose(['postgres', '-c', 'max_connections=100']));
  p.commit('shop');
  await slipwayOk(['up'], { cwd: p.dir });
  const watch = await recordEvents(p.project);
  firstRelease = await deploy();
  firstEvents = await watch.stop();
  psql((await running('db'))[0]!.Names[0]!.slice(1), 'CREATE TABLE rows1 (id integer PRIMARY KEY); CREATE TABLE rows2 (id integer PRIMARY KEY)');
  // Deploy 2: Postgres's spec changed (its command), so it is replaced.
  writeFileSync(join(p.dir, 'docker-compose.yml'), compose(['postgres', '-c', 'max_connections=101']));
  p.commit('postgres: max_connections 101');
  await redeploy();
  // Deploy 3: nothing of Postgres changed.
  p.commit('web only');
  await redeploy();
}, 900_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('stateful processes on the real engine', () => {
  it('the migrate job ran once per deploy, exited 0, after Postgres started and before its release’s web started; never restarted', () => {
    for (const [events, release] of [[firstEvents, firstRelease] as const, ...deploys.map((d) => [d.events, d.release] as const)]) {
      const migrate = events.filter((e) => e.process === 'migrate');
      expect(migrate.filter((e) => e.action === 'start').map((e) => e.release)).toEqual([release]);
      expect(migrate.filter((e) => e.action === 'die').map((e) => e.exitCode)).toEqual([0]);
      expect(migrate.every((e) => e.role === 'release-task')).toBe(true);
      const migrateStart = migrate.find((e) => e.action === 'start')!.t;
      const webStart = events.find((e) => e.action === 'start' && e.process === 'web' && e.release === release)!.t;
      expect(migrateStart).toBeLessThan(webStart);
      expect(migrate.find((e) => e.action === 'die')!.t).toBeLessThan(webStart);
    }
    // Postgres started before the first migrate ran.
    const dbStart = firstEvents.find((e) => e.action === 'start' && e.process === 'db')!.t;
    expect(dbStart).toBeLessThan(firstEvents.find((e) => e.action === 'start' && e.process === 'migrate')!.t);
  });

  it('Postgres changed: replaced stop-first — never two containers on its volume at once', () => {
    const d = deploys[0]!;
    expect(d.dbAfter).not.toBe(d.dbBefore);
    const dbEvents = d.events.filter((e) => e.process === 'db');
    expect(dbEvents.filter((e) => e.action === 'start').map((e) => e.name)).toEqual([d.dbAfter]);
    const { most, overlaps } = mostAtOnce(d.events, volume, [d.dbBefore]);
    expect(overlaps).toEqual([]);
    expect(most).toBe(1);
    // The old one died (stopped) before the new one was created.
    const died = dbEvents.find((e) => e.action === 'die' && e.name === d.dbBefore)!.t;
    const created = dbEvents.find((e) => e.action === 'create' && e.name === d.dbAfter)!.t;
    expect(died).toBeLessThan(created);
  });

  it('Postgres unchanged: the same container keeps running, nothing happens to it', () => {
    const d = deploys[1]!;
    expect(d.dbAfter).toBe(d.dbBefore);
    expect(d.events.filter((e) => e.process === 'db')).toEqual([]);
    expect(mostAtOnce(d.events, volume, [d.dbBefore]).most).toBe(1);
    // The web process was replaced (its image is built per release).
    expect(d.events.filter((e) => e.process === 'web' && e.action === 'start').map((e) => e.release)).toEqual([d.release]);
  });

  it('every acknowledged row is still there; the writer wrote through both deploys', async () => {
    const db = (await running('db'))[0]!.Names[0]!.slice(1);
    for (const [i, d] of deploys.entries()) {
      const stored = new Set(
        psql(db, `SELECT id FROM rows${i + 1}`)
          .split('\n')
          .filter(Boolean)
          .map(Number),
      );
      expect(d.writer.acknowledged.length).toBeGreaterThan(20);
      expect(d.writer.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    }
    const figures = deploys.map((d, i) => ({
      deploy: i + 2,
      dbReplaced: d.dbAfter !== d.dbBefore,
      events: d.events.length,
      acknowledged: d.writer.acknowledged.length,
      unacknowledged: d.writer.unacknowledged,
      sessions: d.writer.sessions,
      mostOnVolume: mostAtOnce(d.events, volume, [d.dbBefore]).most,
    }));
    console.info(`stateful-deploy figures: ${JSON.stringify(figures)}`);
    // Docker itself reports the compose healthcheck: healthy.
    const info = (await docker.getContainer(db).inspect()) as Json;
    expect(info.State.Health?.Status).toBe('healthy');
    expect(info.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'pg_isready -U postgres -d shop']);
  });
});
