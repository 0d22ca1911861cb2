// Seed 003 replayed on the simulated servers: prod (web, worker, beat; Postgres 15, Redis, a media
// volume) moves from hostA (`old`) to hostB (`new`, Postgres 17) with `slipway move`, under
// keep-alive reads from the host and a writer inserting rows through the app the whole time.
// Asserted: 0 failed requests (any non-2xx that is not a declared 503 with Retry-After, read and
// connect errors), every acknowledged row on hostB, row counts and checksums equal, sequences that
// go on without collision, the large object and the extension there, identical media, a beat never
// running on both hosts; then --rollback sends prod back to hostA with no acknowledged write lost,
// the move is repeated and --finish leaves hostA without prod. Fails (never skips) without the hosts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { volumeDigest } from '../src/workflows/move/volume-sync.ts';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { slipway, slipwayOk, type CliResult } from './support/cli.ts';
import { failuresOf, httpVia, loadSummary, startMoveLoad, type MoveLoadReport } from './support/move-load.ts';
import { beatHostnames, HTTP_PORT, IP, moveFleetYaml, moveWorld, SEED_SQL, type MoveWorld } from './support/move-world.ts';

const ROWS = 1_000_000;
const HOST = 'shop.example.test';
let w: MoveWorld;
const figures: Record<string, unknown> = {};

const cli = (args: string[]) => slipway(args, { cwd: w.p.dir, env: w.env });
const cliOk = (args: string[]) => slipwayOk(args, { cwd: w.p.dir, env: w.env });
const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;
const noStack = (r: CliResult) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

interface MoveJson {
  record: {
    phase: string;
    from: string;
    to: string;
    databases: { database: string; method: string; copyAtCutover: string[] }[];
    cutover?: { pauseMs: number; compare: { table: string; srcRows: number; dstRows: number; equal: boolean }[]; reverse: boolean };
    switch?: { pauseMs?: number };
  };
}

function engineOf(host: 'hostA' | 'hostB') {
  return new DockerodeEngine(host, w.docker[host]);
}

async function mediaDigest(host: 'hostA' | 'hostB') {
  return volumeDigest({ engine: engineOf(host), server: host, volume: `${w.p.project}-prod-shop-media`, helperImage: 'nginx:1.27', project: w.p.project });
}

/** Runs `step` under load against hostA's proxy (clients on the old DNS); returns the load report. */
async function underLoad<T>(step: () => Promise<T>): Promise<{ result: T; load: MoveLoadReport }> {
  const load = startMoveLoad({ ip: IP.hostA, port: HTTP_PORT, host: HOST, connections: 4, maxItem: ROWS });
  await new Promise((r) => setTimeout(r, 2000));
  try {
    const result = await step();
    await new Promise((r) => setTimeout(r, 2000));
    return { result, load: await load.stop() };
  } catch (e) {
    await load.stop();
    throw e;
  }
}

/** The steps of a move's JSON output, label → ms (what the pause spent its time on). */
const stepsOf = (r: CliResult) => Object.fromEntries((JSON.parse(r.stdout) as { steps: { label: string; ms: number }[] }).steps.map((s) => [s.label, s.ms]));

const idsOn = (host: 'hostA' | 'hostB') => new Set(w.psql(host, 'shop_prod', 'SELECT id FROM writes;').split('\n').filter(Boolean).map(Number));

beforeAll(async () => {
  w = await moveWorld('mv3');
  w.p.writeFleet(moveFleetYaml({ project: w.p.project, postgres: 'postgres:15', envs: { prod: { server: 'old', domain: '{app}.example.test' } } }));
  w.p.commit('fleet');
  await cliOk(['deploy', 'shop', 'prod']);
  const t0 = Date.now();
  w.psql('hostA', 'shop_prod', SEED_SQL('shop_prod', ROWS));
  figures.seedMs = Date.now() - t0;
  // The move's target runs Postgres 17: the fleet file says so from now on (hostA keeps its 15).
  w.p.writeFleet(moveFleetYaml({ project: w.p.project, postgres: 'postgres:17', envs: { prod: { server: 'new', domain: '{app}.example.test' } } }));
}, 900_000);

afterAll(async () => {
  console.log(`move seed 003 figures: ${JSON.stringify(figures)}`);
  if (w) await w.cleanup();
}, 300_000);

describe('seed 003: prod moves from hostA (Postgres 15) to hostB (Postgres 17) under load', () => {
  it('pre-copy, test hostname, cutover: no failed request, every acknowledged row on hostB, tables identical, a beat never on both', async () => {
    const { result, load } = await underLoad(async () => {
      const t0 = Date.now();
      const upToTest = await cliOk(['move', 'prod', '--to', 'new', '--until', 'test', '--json']);
      figures.upToTestMs = Date.now() - t0;
      const rec = json<MoveJson>(upToTest).record;
      expect(rec.phase).toBe('running');
      expect(rec.databases).toEqual([expect.objectContaining({ database: 'shop_prod', method: 'logical', copyAtCutover: ['public.audit_log'] })]);
      // Media written on the source between the pre-copy and the cutover arrive with the last delta.
      for (const n of ['a.bin', 'b.bin', 'c.txt']) {
        const r = await httpVia(IP.hostA, HTTP_PORT, HOST, 'POST', `/media/${n}`, `media ${n} `.repeat(5000));
        expect(r.status).toBe(201);
      }
      // The test hostname answers on hostB while hostA keeps the real one.
      const test = await httpVia(IP.hostB, HTTP_PORT, `test-${HOST}`, 'GET', '/items/42');
      expect(test.status).toBe(200);
      const status = await cliOk(['move', 'prod', '--status']);
      expect(status.stdout).toMatch(/replication shop_prod \(old → new\): \d+ bytes behind/);
      expect(status.stdout).toMatch(/next stage: cutover/);
      const t1 = Date.now();
      const cut = await cliOk(['move', 'prod', '--resume', '--json']);
      figures.cutoverMs = Date.now() - t1;
      figures.cutoverSteps = stepsOf(cut);
      return json<MoveJson>(cut).record;
    });
    figures.cutoverLoad = loadSummary(load);
    figures.pauseMs = result.cutover?.pauseMs;
    figures.writerPauseMs = load.longestPauseMs;
    expect(result.phase).toBe('cut-over');
    expect(result.cutover?.reverse).toBe(true);
    expect(failuresOf(load), loadSummary(load)).toBe(0);
    expect(load.readOk).toBeGreaterThan(100);
    expect(load.acked.length).toBeGreaterThan(20);
    // Every table, the large objects included, compared equal at the cutover; items holds the 1M rows.
    const compare = result.cutover!.compare;
    expect(compare.filter((t) => !t.equal)).toEqual([]);
    expect(compare.find((t) => t.table === 'public.items')).toMatchObject({ srcRows: ROWS, dstRows: ROWS });
    expect(compare.find((t) => t.table === 'large objects')).toMatchObject({ srcRows: 1, dstRows: 1 });
    // Every acknowledged write is on hostB; ids are unique and grew across the cutover (the sequence went on).
    await new Promise((r) => setTimeout(r, 1000));
    const onB = idsOn('hostB');
    expect(load.acked.filter((id) => !onB.has(id))).toEqual([]);
    expect(new Set(load.acked).size).toBe(load.acked.length);
    expect(Number(w.psql('hostB', 'shop_prod', "SELECT nextval('invoice_no');"))).toBeGreaterThan(1016);
    expect(w.psql('hostB', 'shop_prod', "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto';")).toBe('pgcrypto');
    expect(w.psql('hostB', 'shop_prod', 'SHOW server_version_num;').slice(0, 2)).toBe('17');
    // Writes taken by hostB flow back to hostA (a rollback loses none): the two sides hold the same rows.
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.psql('hostA', 'shop_prod', 'SELECT count(*) FROM writes;')).toBe(w.psql('hostB', 'shop_prod', 'SELECT count(*) FROM writes;'));
    // Media identical.
    const [ma, mb] = await Promise.all([mediaDigest('hostA'), mediaDigest('hostB')]);
    expect(ma.files).toBe(3);
    expect(mb).toEqual(ma);
    // The beat ran on hostA, then on hostB, never on both.
    const beatsA = await beatHostnames(w.docker.hostA, w.p.project, 'prod');
    const beatsB = await beatHostnames(w.docker.hostB, w.p.project, 'prod');
    const span = (ids: string[]) =>
      w
        .psql(
          'hostB',
          'shop_prod',
          `SELECT extract(epoch FROM min(at)) || '|' || extract(epoch FROM max(at)) FROM beats WHERE host IN (${ids.map((i) => `'${i}'`).join(',') || "''"});`,
        )
        .split('|')
        .map(Number);
    const [, lastA] = span(beatsA);
    const [firstB] = span(beatsB);
    expect(lastA).toBeGreaterThan(0);
    expect(firstB).toBeGreaterThan(0);
    expect(lastA!).toBeLessThan(firstB!);
    figures.beatGapMs = Math.round((firstB! - lastA!) * 1000);
    // hostA forwards what still reaches it; hostB serves the real name itself.
    expect((await httpVia(IP.hostB, HTTP_PORT, HOST, 'GET', '/items/7')).status).toBe(200);
    expect((await httpVia(IP.hostA, HTTP_PORT, HOST, 'GET', '/items/8')).status).toBe(200);
  }, 900_000);

  it('--rollback returns prod to hostA under load with every acknowledged write', async () => {
    const { result, load } = await underLoad(async () => {
      const r = await cliOk(['move', 'prod', '--rollback', '--json']);
      figures.rollbackSteps = stepsOf(r);
      return json<MoveJson>(r).record;
    });
    figures.rollbackLoad = loadSummary(load);
    figures.rollbackPauseMs = result.switch?.pauseMs;
    expect(result.phase).toBe('rolled-back');
    expect(failuresOf(load), loadSummary(load)).toBe(0);
    const onA = idsOn('hostA');
    expect(load.acked.filter((id) => !onA.has(id))).toEqual([]);
    // hostA's workers run again; hostB's are stopped.
    const running = async (host: 'hostA' | 'hostB') =>
      (await w.docker[host].listContainers({ filters: { label: [`slipway.project=${w.p.project}`, 'slipway.process=beat'] } })).length;
    expect(await running('hostA')).toBe(1);
    expect(await running('hostB')).toBe(0);
  }, 900_000);

  it('the move again, then --finish: refused within the stable period, forced: hostA keeps nothing of prod', async () => {
    const again = await underLoad(async () => json<MoveJson>(await cliOk(['move', 'prod', '--to', 'new', '--json'])).record);
    figures.againLoad = loadSummary(again.load);
    figures.againPauseMs = again.result.cutover?.pauseMs;
    expect(again.result.phase).toBe('cut-over');
    expect(failuresOf(again.load), loadSummary(again.load)).toBe(0);
    const early = await cli(['move', 'prod', '--finish']);
    noStack(early);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/stable period ends at .*\n {2}hint: .*--force/);
    const fin = json<MoveJson>(await cliOk(['move', 'prod', '--finish', '--force', '--json'])).record;
    expect(fin.phase).toBe('finished');
    const left = await w.docker.hostA.listContainers({ all: true, filters: { label: [`slipway.project=${w.p.project}`, 'slipway.env=prod'] } });
    expect(left.map((c) => c.Names[0])).toEqual([]);
    const vols = await w.docker.hostA.listVolumes({ filters: { label: [`slipway.project=${w.p.project}`, 'slipway.env=prod'] } });
    expect((vols.Volumes ?? []).map((v) => v.Name)).toEqual([]);
    // prod was the only environment of hostA's Postgres: the instance went with it (and its data volume).
    const pg = await w.docker.hostA.listContainers({ all: true, filters: { label: [`slipway.project=${w.p.project}`, 'slipway.service=postgres'] } });
    if (pg.length) expect(w.psql('hostA', 'postgres', "SELECT count(*) FROM pg_database WHERE datname = 'shop_prod';")).toBe('0');
    expect((await httpVia(IP.hostB, HTTP_PORT, HOST, 'GET', '/items/9')).status).toBe(200);
    writeFileSync(join(w.p.dir, 'done'), 'ok');
  }, 900_000);
});
