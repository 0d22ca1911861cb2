// bench/move.ts — `slipway move` against the naive runbook, side by side, in one run, on the two
// simulated servers (hostA `old` → hostB `new`, Postgres 15 → 17) and the seed-003 data set of
// test/support/move-world.ts (SEED_SQL: 1M items by default, orders, a table without a primary key,
// a sequence, a large object, pgcrypto). Each method has its own project (the writer app with web,
// worker and beat, Postgres, Redis, a media volume), deployed on `old` and seeded the same way, and
// runs under the same load (move-load.ts startMoveLoad: 4 keep-alive readers of GET /items/N and a
// back-to-back writer of POST /rows, from this host, against the source's proxy):
//   naive:   the runbook users write by hand. Beforehand (not timed): the fleet is changed to `new`
//            and `slipway deploy shop prod` puts the app there against an empty database, then its
//            containers are stopped. Timed: `docker stop` of the app's containers on the source (its
//            proxy then answers 502 without Retry-After: failed requests), `pg_dump -Fc` in the
//            source's Postgres piped through this process into `pg_restore --clean --if-exists` in the
//            target's, `docker start` of the target's containers, /health waited for on the target's
//            proxy, then the flip: the load goes to the target's proxy (a new load, as clients that
//            learnt the new address). Redis and the media volume are not copied (the runbook's
//            favour: less work in its pause).
//   slipway: `slipway move prod --to new --json` as a child process (test/support/cli.ts), the load
//            kept on the source's proxy (clients on the old DNS; the source forwards after the cutover).
//   slipway-wait: the same with `move.held_writes: wait` (writes in the pause wait in the proxies,
//            no 503), on a third project.
// Writer pause (both methods, the same rule): the longest time between two acknowledged writes, seen
// by sampling the writer's acknowledgements every 50 ms (so ±50 ms); for slipway also the longest
// declared hold the writer saw (503 with Retry-After, first 503 to its 201) and the record's
// cutover.pauseMs. Printed: a table of method, write pauses, failed reads, failed writes (any non-2xx
// that is not a declared 503 with Retry-After, and connect/read errors) and move time, then the ratio
// naive pause / slipway pause. The issue's target for slipway: write pause <= 10 s, 0 failed reads.
// The proxies listen on port 8390 (naive), 8391 (slipway) and 8392 (slipway-wait), not the suites' 8380, so a move test
// running meanwhile does not collide. Both projects are removed from both hosts at the end.
// Run:
//   npx tsx bench/move.ts [--rows N (default 1000000)]
// No thresholds; exits non-zero only if a method errors (or the hosts are down).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type CliResult, slipway, slipwayOk } from '../test/support/cli.ts';
import { httpVia, type MoveLoad, type MoveLoadReport, startMoveLoad } from '../test/support/move-load.ts';
import { IP, type MoveWorld, moveFleetYaml, moveWorld, SEED_SQL } from '../test/support/move-world.ts';

const HOST = 'shop.example.test';
const NAIVE_PORT = 8390;
const SLIPWAY_PORT = 8391;
const WAIT_PORT = 8392;
const SAMPLE_MS = 50;

function args(argv: string[]): { rows: number } {
  const out = { rows: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--rows' && Number.isInteger(v) && v >= 1000) (out.rows = v), i++;
    else throw new Error(`usage: npx tsx bench/move.ts [--rows N (>= 1000)]; got ${argv[i]}`);
  }
  return out;
}

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Side {
  w: MoveWorld;
  port: number;
  cli(argv: string[]): Promise<CliResult>;
  cliOk(argv: string[]): Promise<CliResult>;
}

/** A project of its own: deployed on `old` (Postgres 15) and seeded; the fleet then says `new` (Postgres 17). */
async function prepare(w: MoveWorld, port: number, rows: number, heldWrites?: 'wait'): Promise<Side> {
  const side: Side = {
    w,
    port,
    cli: (argv) => slipway(argv, { cwd: w.p.dir, env: w.env }),
    cliOk: (argv) => slipwayOk(argv, { cwd: w.p.dir, env: w.env }),
  };
  const fleet = (server: 'old' | 'new', postgres: string) =>
    moveFleetYaml({
      project: w.p.project,
      postgres,
      httpPort: port,
      ...(heldWrites ? { heldWrites } : {}),
      envs: { prod: { server, domain: '{app}.example.test' } },
    });
  w.p.writeFleet(fleet('old', 'postgres:15'));
  w.p.commit('fleet on old');
  await side.cliOk(['deploy', 'shop', 'prod']);
  w.psql('hostA', 'shop_prod', SEED_SQL('shop_prod', rows));
  w.p.writeFleet(fleet('new', 'postgres:17'));
  w.p.commit('fleet on new');
  return side;
}

/** The env's app containers (web, worker, beat) on one host, running or not. */
async function appContainers(side: Side, host: 'hostA' | 'hostB', all: boolean) {
  const list = await side.w.docker[host].listContainers({
    all,
    filters: { label: [`slipway.project=${side.w.p.project}`, 'slipway.env=prod', 'slipway.role=app'] },
  });
  return list.map((c) => side.w.docker[host].getContainer(c.Id));
}

/**
 * The loads of one method (a method may flip to a new load) and the writer's acknowledgements
 * sampled every SAMPLE_MS: the longest time between two samples that saw new acknowledgements.
 */
class Measure {
  private readonly loads: MoveLoad[] = [];
  private readonly reports: MoveLoadReport[] = [];
  private acked = 0;
  private lastAckAt = performance.now();
  longestGapMs = 0;
  firstAckAfter?: { since: number; at?: number };
  private readonly timer = setInterval(() => this.sample(), SAMPLE_MS);

  start(ip: string, port: number, rows: number): void {
    this.loads.push(startMoveLoad({ ip, port, host: HOST, connections: 4, maxItem: rows }));
  }

  private sample(): void {
    const now = performance.now();
    const acked = this.reports.reduce((a, r) => a + r.acked.length, 0) + this.loads.reduce((a, l) => a + l.snapshot().acked.length, 0);
    if (acked > this.acked) {
      this.longestGapMs = Math.max(this.longestGapMs, now - this.lastAckAt);
      this.lastAckAt = now;
      this.acked = acked;
      if (this.firstAckAfter && this.firstAckAfter.at === undefined) this.firstAckAfter.at = now;
    }
  }

  /** From now on (the method's start): the longest gap so far is forgotten. */
  reset(): void {
    this.sample();
    this.longestGapMs = 0;
  }

  /** Stops the oldest running load (the flip), keeping its report; it is sampled until it has stopped. */
  async stopOldest(): Promise<void> {
    const l = this.loads[0];
    if (!l) return;
    const report = await l.stop();
    this.loads.shift();
    this.reports.push(report);
  }

  async stop(): Promise<MoveLoadReport[]> {
    while (this.loads.length) await this.stopOldest();
    this.sample();
    clearInterval(this.timer);
    return this.reports;
  }
}

interface Row {
  method: string;
  writerGapMs: number;
  heldMs?: number;
  recordPauseMs?: number;
  failedReads: number;
  failedWrites: number;
  moveMs: number;
  detail: string;
}

function row(method: string, reports: MoveLoadReport[], m: Measure, moveMs: number, extra: Partial<Row> = {}): Row {
  const merge = (pick: (r: MoveLoadReport) => Record<string, number>) => {
    const o: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(pick(r))) o[k] = (o[k] ?? 0) + v;
    return o;
  };
  const readNon2xx = merge((r) => r.readNon2xx);
  const readErrors = merge((r) => r.readErrors);
  const writeNon2xx = merge((r) => r.writeNon2xx);
  const writeErrors = merge((r) => r.writeErrors);
  const reads = reports.reduce((a, r) => a + r.reads, 0);
  const acked = reports.reduce((a, r) => a + r.acked.length, 0);
  return {
    method,
    writerGapMs: m.longestGapMs,
    heldMs: Math.max(...reports.map((r) => r.longestPauseMs)) || undefined,
    failedReads: sum(readNon2xx) + sum(readErrors),
    failedWrites: sum(writeNon2xx) + sum(writeErrors),
    moveMs,
    detail: `reads ${reads} (non-2xx ${JSON.stringify(readNon2xx)}, errors ${JSON.stringify(readErrors)}), writes acked ${acked}, held ${reports.reduce((a, r) => a + r.held, 0)}, non-2xx ${JSON.stringify(writeNon2xx)}, errors ${JSON.stringify(writeErrors)}`,
    ...extra,
  };
}

/** Polls GET /health on a proxy until it answers 200. */
async function healthy(ip: string, port: number): Promise<void> {
  for (const t0 = performance.now(); performance.now() - t0 < 300_000; await sleep(100)) {
    const r = await httpVia(ip, port, HOST, 'GET', '/health').catch(() => undefined);
    if (r?.status === 200) return;
  }
  throw new Error(`http://${HOST}/health via ${ip}:${port} did not answer 200 within 5 min`);
}

/** `pg_dump -Fc` in the source's Postgres piped through this process into `pg_restore` in the target's. */
async function dumpRestore(side: Side): Promise<{ bytes: number; restoreWarnings: string }> {
  const { hosts, p } = side.w;
  const pg = `${p.project}-postgres`;
  const dump = spawn('docker', ['-H', hosts.hosts.hostA.dockerHost, 'exec', '-u', 'postgres', pg, 'pg_dump', '-Fc', '-d', 'shop_prod'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const restore = spawn(
    'docker',
    ['-H', hosts.hosts.hostB.dockerHost, 'exec', '-i', '-u', 'postgres', pg, 'pg_restore', '--clean', '--if-exists', '-d', 'shop_prod'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let bytes = 0;
  let dumpErr = '';
  let restoreErr = '';
  dump.stdout.on('data', (d: Buffer) => (bytes += d.length));
  dump.stdout.pipe(restore.stdin);
  dump.stderr.on('data', (d) => (dumpErr += d));
  restore.stderr.on('data', (d) => (restoreErr += d));
  const exit = (c: ReturnType<typeof spawn>) => new Promise<number>((resolve) => c.on('close', (code) => resolve(code ?? -1)));
  const [dc, rc] = await Promise.all([exit(dump), exit(restore)]);
  if (dc !== 0) throw new Error(`pg_dump on hostA exited ${dc}: ${dumpErr.trim()}`);
  // pg_restore exits 1 on errors it went past; the row counts compared afterwards decide.
  return { bytes, restoreWarnings: rc === 0 ? '' : `pg_restore exited ${rc}: ${restoreErr.trim().split('\n').slice(-3).join(' | ')}` };
}

async function naive(side: Side, rows: number): Promise<Row> {
  // Beforehand, not timed: the app on `new` against an empty database, then stopped.
  const tPrep = performance.now();
  await side.cliOk(['deploy', 'shop', 'prod']);
  await Promise.all((await appContainers(side, 'hostB', false)).map((c) => c.stop()));
  console.log(`  naive: deployed on new and stopped there beforehand (${ms(performance.now() - tPrep)}, not counted)`);

  const m = new Measure();
  m.start(IP.hostA, side.port, rows);
  await sleep(2000);
  m.reset();
  const t0 = performance.now();
  await Promise.all((await appContainers(side, 'hostA', false)).map((c) => c.stop()));
  const tStopped = performance.now();
  const dr = await dumpRestore(side);
  const tRestored = performance.now();
  await Promise.all((await appContainers(side, 'hostB', true)).map((c) => c.start()));
  await healthy(IP.hostB, side.port);
  const tUp = performance.now();
  // The flip: clients now reach the target (the old load ends; a new one starts there).
  m.firstAckAfter = { since: tUp };
  m.start(IP.hostB, side.port, rows);
  await m.stopOldest();
  while (m.firstAckAfter.at === undefined && performance.now() - tUp < 60_000) await sleep(SAMPLE_MS);
  const moveMs = (m.firstAckAfter.at ?? Number.NaN) - t0;
  await sleep(2000);
  const reports = await m.stop();
  const items = (h: 'hostA' | 'hostB') => side.w.psql(h, 'shop_prod', 'SELECT count(*) FROM items;');
  if (items('hostB') !== items('hostA')) throw new Error(`naive: items on hostB ${items('hostB')} != hostA ${items('hostA')}; ${dr.restoreWarnings}`);
  console.log(
    `  naive: stop ${ms(tStopped - t0)}, pg_dump | pg_restore ${ms(tRestored - tStopped)} (${(dr.bytes / 1e6).toFixed(0)} MB dump), start + healthy ${ms(tUp - tRestored)}; items on hostB = hostA = ${items('hostB')}${dr.restoreWarnings ? `; ${dr.restoreWarnings}` : ''}`,
  );
  return row('naive', reports, m, moveMs);
}

async function viaSlipway(side: Side, rows: number, method = 'slipway'): Promise<Row> {
  const m = new Measure();
  m.start(IP.hostA, side.port, rows);
  await sleep(2000);
  m.reset();
  const t0 = performance.now();
  const r = await side.cli(['move', 'prod', '--to', 'new', '--json']);
  const moveMs = performance.now() - t0;
  await sleep(2000);
  const reports = await m.stop();
  if (r.code !== 0) throw new Error(`slipway move prod --to new exited ${r.code ?? r.signal}\n${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout) as { record: { phase: string; cutover?: { pauseMs: number } }; steps?: { label: string; ms: number; at: number }[] };
  if (out.record.phase !== 'cut-over') throw new Error(`slipway move ended in phase ${out.record.phase}`);
  const slow = [...(out.steps ?? [])]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 4)
    .map((s) => `${s.label} ${ms(s.ms)}`)
    .join(', ');
  console.log(`  ${method}: phase ${out.record.phase}; longest steps: ${slow}`);
  // The steps within the write pause (from holding writes to releasing them), by start time.
  const steps = out.steps ?? [];
  const held = steps.find((s) => s.label.includes('hold writes'));
  const released = steps.find((s) => s.label.includes('writes released'));
  if (held && released)
    for (const s of steps.filter((x) => x.at >= held.at && x.at <= released.at).sort((a, b) => a.at - b.at))
      console.log(`    pause +${ms(s.at - held.at)}: ${s.label} ${ms(s.ms)}`);
  return row(method, reports, m, moveMs, { recordPauseMs: out.record.cutover?.pauseMs });
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  console.log(`bench/move.ts — slipway move against the naive runbook (stop, dump | restore, start, flip), hostA → hostB, ${o.rows} items`);
  console.log(`  machine: ${availableParallelism()} CPUs, load average ${load()} (other work on the machine shares it)`);
  const worlds: MoveWorld[] = [];
  const rowsOut: Row[] = [];
  let failed = false;
  try {
    const tSeed = performance.now();
    // Images and hosts once, then both projects deployed and seeded side by side (not timed).
    worlds.push(await moveWorld('bmvn'));
    worlds.push(await moveWorld('bmvs'));
    worlds.push(await moveWorld('bmvw'));
    const [first, second, third] = await Promise.all([
      prepare(worlds[0]!, NAIVE_PORT, o.rows),
      prepare(worlds[1]!, SLIPWAY_PORT, o.rows),
      prepare(worlds[2]!, WAIT_PORT, o.rows, 'wait'),
    ]);
    console.log(`  set-up (deploy on old, seed, the three projects): ${ms(performance.now() - tSeed)}`);
    for (const [name, fn, side] of [
      ['naive', naive, first],
      ['slipway', (s: Side, rows: number) => viaSlipway(s, rows, 'slipway'), second],
      ['slipway-wait', (s: Side, rows: number) => viaSlipway(s, rows, 'slipway-wait'), third],
    ] as const) {
      try {
        rowsOut.push(await fn(side, o.rows));
      } catch (e) {
        failed = true;
        console.log(`  ${name} FAILED: ${(e as Error).message}`);
      }
    }
  } finally {
    for (const w of worlds) {
      await w.cleanup();
      rmSync(w.p.dir, { recursive: true, force: true });
    }
  }

  console.log('');
  console.log('method       | write pause (writer) | declared hold | record pauseMs | failed reads | failed writes | move time');
  for (const r of rowsOut)
    console.log(
      `${r.method.padEnd(12)} | ${ms(r.writerGapMs).padStart(20)} | ${ms(r.heldMs).padStart(13)} | ${ms(r.recordPauseMs).padStart(14)} | ${String(r.failedReads).padStart(12)} | ${String(r.failedWrites).padStart(13)} | ${ms(r.moveMs)}`,
    );
  for (const r of rowsOut) console.log(`  ${r.method}: ${r.detail}`);
  const nv = rowsOut.find((r) => r.method === 'naive');
  const sw = rowsOut.find((r) => r.method === 'slipway');
  if (nv && sw) console.log(`ratio naive / slipway write pause (writer): ${(nv.writerGapMs / sw.writerGapMs).toFixed(1)}x`);
  if (sw) console.log(`slipway against the issue's target: write pause ${ms(sw.writerGapMs)} (<= 10 s), failed reads ${sw.failedReads} (0)`);
  const sww = rowsOut.find((r) => r.method === 'slipway-wait');
  if (nv && sww) console.log(`ratio naive / slipway-wait write pause (writer): ${(nv.writerGapMs / sww.writerGapMs).toFixed(1)}x`);
  if (sww)
    console.log(
      `slipway-wait (move.held_writes: wait): write pause ${ms(sww.writerGapMs)} (<= 10 s), failed reads ${sww.failedReads}, failed writes ${sww.failedWrites} (no 503: writes waited in the proxy)`,
    );
  console.log(`  move time: naive from stopping the source to the first write acknowledged on the target; slipway the whole CLI run (pre-copy included)`);
  console.log(`  load average at the end: ${load()}`);
  if (failed) process.exitCode = 1;
}

await main();
