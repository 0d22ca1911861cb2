// bench/deploy.ts — how close `slipway deploy` comes to the fastest hand-driven zero-downtime
// switch, on the local engine, in one run. Side by side, alternating (ABBA) so both share noise:
//   slipway: `node bin/slipway.mjs deploy echo bench --image TAG --drain 0 --json` as a child
//            process (CLI startup included), measured until the proxy serves the new release
//            ("time to serving") and until the CLI exits ("wall");
//   floor:   the same essential steps by direct Engine API calls in this process
//            (bench/lib/deploy-floor.ts): create + connect the container Slipway would create,
//            start, HTTP health from the host, Caddy config via putArchive + `caddy reload`,
//            stop the old container. No drain for either.
// Both switch the same proxy, fleet and app between two image tags, under 20 keep-alive
// connections of load through the proxy (failed requests are reported per method, with when
// they happened). The median slipway run is split by a preload clock in the child (node boot,
// imports, Engine API phase with deploy()'s --json steps, exit); then one more deploy runs
// in-process with every Engine call timed, to show where Slipway's time goes between steps.
// The CLI runs as users run it after `npm ci`: a bundle of the current sources (scripts/build-cli.mjs),
// built at the start into node_modules/.cache/slipway-bench and started as bin/slipway.mjs starts
// dist/slipway.cjs (bench/lib/run-bundle.mjs: same freshness check, then the bundle), so source
// edits made during a long run cannot switch it to tsx halfway. If the build fails, the header
// says so and the CLI runs through bin/slipway.mjs (possibly the sources through tsx).
// No thresholds; exits non-zero only if a deploy fails. Everything is removed at the end.
//   npx tsx bench/deploy.ts            (BENCH_RUNS=N runs per method, default 5;
//                                       BENCH_CLI=…/dist/slipway.cjs runs that CLI bundle instead;
//                                       BENCH_BASELINE=…/dist/slipway.(c)js adds that build as a third method)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureEngine, ensureImages } from '../test/harness/engine.ts';
import type { ServerRun } from '../src/workflows/server-run.ts';
import { clockedSlipway, type CliClock } from './lib/deploy-cli.ts';
import { FLOOR_POLL_MS, floorDeploy, recordFloorRelease, type FloorStep } from './lib/deploy-floor.ts';
import { APP, ENV, createProject, type BenchProject } from './lib/deploy-project.ts';
import { tracedDeploy, type TraceEvent } from './lib/deploy-trace.ts';
import { servedRelease, startLoadProcess, watchServing } from './lib/deploy-traffic.ts';
import type { LoadReport } from './lib/load.ts';
import type { LoadFailure } from './lib/deploy-traffic.ts';
import { bundleStaleness, ROOT } from '../bin/bundle.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Load keeps running this long after a deploy finishes, to catch late failures. */
const TAIL_MS = 500;
/** Pause between runs. */
const SETTLE_MS = 1000;

/** `baseline`: another build of the CLI (BENCH_BASELINE), interleaved with the other two so all three share the noise. */
type Method = 'slipway' | 'floor' | 'baseline';

interface Step {
  label: string;
  ms: number;
}

interface RunResult {
  n: number;
  method: Method;
  image: string;
  release: string;
  servingMs: number;
  wallMs: number;
  load: LoadReport;
  /** Failed requests by when they were noticed, in ms after the run started. */
  failures: (Omit<LoadFailure, 'epochMs'> & { at: number })[];
  steps: Step[];
  /** slipway: deploy()'s own durationMs (from lock to return). */
  deployMs?: number;
  /** slipway: the child's timeline (epoch ms). */
  clock?: CliClock;
  /** performance.timeOrigin + t0. */
  startEpochMs: number;
  /** How the container that served before the run exited after its SIGTERM. */
  oldExit: string;
}

class DeployFailed extends Error {}

const failuresSince = (t0: number, fs: LoadFailure[]) => fs.map(({ epochMs, ...f }) => ({ ...f, at: epochMs - (performance.timeOrigin + t0) }));

const tagOf = (p: BenchProject, i: number): string => (i === 0 ? p.tags[0] : p.tags[1]);

interface Serving {
  release: string;
  tag: number;
}

/** The running app container (the one serving before a run). */
async function servingContainer(run: ServerRun): Promise<string | undefined> {
  const list = await run.conn.engine.listContainers({ 'slipway.project': run.fleet.project, 'slipway.app': APP, 'slipway.env': ENV, 'slipway.role': 'app' });
  return list[0]?.id;
}

/** 'clean' when the echo app drained and exited on SIGTERM, 'drain timeout (8 s)' when it gave up waiting for connections. */
async function exitOf(run: ServerRun, id: string | undefined): Promise<string> {
  if (!id) return '?';
  const logs = await run.conn.engine.containerLogs(id, { tail: 5 }).catch(() => '');
  return logs.includes('drain timeout') ? 'drain timeout (8 s)' : logs.includes('stopped') ? 'clean' : '?';
}

async function slipwayRun(
  p: BenchProject,
  run: ServerRun,
  n: number,
  from: Serving,
  bundle: string | undefined,
  method: 'slipway' | 'baseline' = 'slipway',
): Promise<[RunResult, Serving]> {
  const tag = 1 - from.tag;
  const image = tagOf(p, tag);
  const oldId = await servingContainer(run);
  const load = await startLoadProcess(p.port, p.host);
  const watch = watchServing(p.port, p.host, from.release);
  const t0 = performance.now();
  const r = await clockedSlipway(['deploy', APP, ENV, '--image', image, '--drain', '0', '--json'], p.dir, bundle);
  const wallMs = performance.now() - t0;
  const seen = await Promise.race([watch.seen, sleep(5000).then(() => undefined)]);
  watch.stop();
  await sleep(TAIL_MS);
  const report = await load.stop();
  if (r.code !== 0) throw new DeployFailed(`${method} deploy (run ${n}) exited ${r.code}\n${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout) as { release: string; durationMs: number; steps: Step[] };
  if (!seen || seen.release !== out.release)
    throw new DeployFailed(`${method} run ${n}: the proxy serves ${seen?.release ?? 'nothing new'}, not release ${out.release}`);
  const steps = out.steps.map((s) => ({ label: s.label.replaceAll(out.release, '<release>').replace(image, '<tag>'), ms: s.ms }));
  return [
    {
      n,
      method,
      image,
      release: out.release,
      servingMs: seen.at - t0,
      wallMs,
      load: report,
      failures: failuresSince(t0, report.failures),
      steps,
      deployMs: out.durationMs,
      clock: r.clock,
      startEpochMs: performance.timeOrigin + t0,
      oldExit: await exitOf(run, oldId),
    },
    { release: out.release, tag },
  ];
}

async function floorRun(p: BenchProject, run: ServerRun, n: number, from: Serving, release: string): Promise<[RunResult, Serving]> {
  const tag = 1 - from.tag;
  const image = tagOf(p, tag);
  const oldId = await servingContainer(run);
  const load = await startLoadProcess(p.port, p.host);
  const watch = watchServing(p.port, p.host, from.release);
  const t0 = performance.now();
  let f: Awaited<ReturnType<typeof floorDeploy>>;
  try {
    f = await floorDeploy(run, APP, ENV, image, release);
  } catch (e) {
    watch.stop();
    await load.stop().catch(() => undefined);
    throw new DeployFailed(`floor run ${n}: ${(e as Error).message}`);
  }
  const wallMs = performance.now() - t0;
  const seen = await Promise.race([watch.seen, sleep(5000).then(() => undefined)]);
  watch.stop();
  await sleep(TAIL_MS);
  const report = await load.stop();
  await recordFloorRelease(run, APP, ENV, image, f);
  if (!seen || seen.release !== release) throw new DeployFailed(`floor run ${n}: the proxy serves ${seen?.release ?? 'nothing new'}, not release ${release}`);
  return [
    {
      n,
      method: 'floor',
      image,
      release,
      servingMs: seen.at - t0,
      wallMs,
      load: report,
      failures: failuresSince(t0, report.failures),
      steps: f.steps.map((s: FloorStep) => ({ ...s })),
      startEpochMs: performance.timeOrigin + t0,
      oldExit: await exitOf(run, oldId),
    },
    { release, tag },
  ];
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number): string => `${Math.round(x)} ms`;
const pad = (s: string | number, w: number): string => String(s).padStart(w);
const non2xx = (r: LoadReport): number => Object.values(r.non2xx).reduce((a, b) => a + b, 0);
const errors = (r: LoadReport): number => r.connectErrors + r.readErrors + r.timeouts;

function printRuns(results: RunResult[]): void {
  console.log('');
  console.log(' run  method   image  time to serving      wall   requests  non-2xx  connect-err  read-err  timeouts  p99 latency  old container exit');
  for (const r of results) {
    const codes = Object.entries(r.load.non2xx)
      .map(([c, k]) => `${k}×${c}`)
      .join(',');
    console.log(
      `${pad(r.n, 4)}  ${r.method.padEnd(7)}  ${r.image.slice(-1).padEnd(5)}  ${pad(ms(r.servingMs), 15)}  ${pad(ms(r.wallMs), 8)}  ${pad(r.load.requests, 9)}  ${pad(codes || '0', 7)}  ${pad(r.load.connectErrors, 11)}  ${pad(r.load.readErrors, 8)}  ${pad(r.load.timeouts, 8)}  ${pad(`${Math.round(r.load.latencyMs.p99)} ms`, 11)}  ${r.oldExit}`,
    );
  }
}

function printFailureTimes(results: RunResult[]): void {
  const failing = results.filter((r) => r.failures.length);
  if (!failing.length) return;
  console.log('');
  console.log('when the failed requests were noticed (ms after the run started; the proxy switched just before "serving"):');
  for (const r of failing) {
    const parts = r.failures.map((f) => `${f.count} ${f.kind} @ +${Math.round(f.at)}`).join(', ');
    console.log(`  run ${r.n} ${r.method.padEnd(7)} serving +${Math.round(r.servingMs)}, wall +${Math.round(r.wallMs)}: ${parts}`);
  }
}

function summarize(results: RunResult[]): void {
  const of = (m: Method) => results.filter((r) => r.method === m);
  const f = of('floor');
  const methods = (['slipway', 'baseline'] as const).filter((m) => of(m).length > 0);
  console.log('');
  console.log(`                 time to serving (median / min)      wall (median / min)     [${RUNS} runs each]`);
  for (const name of [...methods, 'floor'] as const) {
    const rs = of(name);
    const sv = rs.map((r) => r.servingMs);
    const w = rs.map((r) => r.wallMs);
    console.log(
      `  ${name.padEnd(8)}       ${pad(ms(median(sv)), 8)} / ${pad(ms(Math.min(...sv)), 8)}              ${pad(ms(median(w)), 8)} / ${pad(ms(Math.min(...w)), 8)}`,
    );
  }
  // The old container's stop is the same `docker stop` for both and sometimes waits out the echo
  // app's 8 s drain timeout; without it the wall ratio compares orchestration only.
  const stopMs = (r: RunResult) => r.steps.filter((x) => /^stop /.test(x.label)).reduce((a, x) => a + x.ms, 0);
  const fail = (rs: RunResult[]) => {
    const sum = (k: (r: LoadReport) => number) => rs.reduce((a, r) => a + k(r.load), 0);
    return `${sum(non2xx)} non-2xx, ${sum(errors)} errors (${sum((r) => r.connectErrors)} connect, ${sum((r) => r.readErrors)} read, ${sum((r) => r.timeouts)} timeouts) of ${sum((r) => r.requests)} requests`;
  };
  for (const m of methods) {
    const s = of(m);
    const ratioServing = median(s.map((r) => r.servingMs)) / median(f.map((r) => r.servingMs));
    const ratioWall = median(s.map((r) => r.wallMs)) / median(f.map((r) => r.wallMs));
    const ratioNoStop = median(s.map((r) => r.wallMs - stopMs(r))) / median(f.map((r) => r.wallMs - stopMs(r)));
    console.log('');
    console.log(`ratio ${m}/floor (median, time to serving): ${ratioServing.toFixed(2)}×  (target ≤ 1.3×)`);
    console.log(`ratio ${m}/floor (median, wall / CLI exit): ${ratioWall.toFixed(2)}×  (target ≤ 1.3×)`);
    console.log(
      `ratio ${m}/floor (median, wall minus the old container's stop): ${ratioNoStop.toFixed(2)}×  (${m} ${ms(median(s.map((r) => r.wallMs - stopMs(r))))}, floor ${ms(median(f.map((r) => r.wallMs - stopMs(r))))})`,
    );
  }
  console.log('');
  console.log(`failed requests: ${[...methods, 'floor' as const].map((m) => `${m} ${fail(of(m))}`).join('; ')}`);
}

function medianRun(rs: RunResult[]): RunResult {
  const m = median(rs.map((r) => r.wallMs));
  return [...rs].sort((a, b) => Math.abs(a.wallMs - m) - Math.abs(b.wallMs - m))[0]!;
}

const line = (label: string, x: number) => console.log(`    ${label.padEnd(66)} ${pad(ms(x), 8)}`);

function printBreakdowns(results: RunResult[]): void {
  for (const m of ['slipway', 'baseline'] as const) {
    const rs = results.filter((r) => r.method === m);
    if (rs.length) printCliBreakdown(m, medianRun(rs));
  }
  const f = medianRun(results.filter((r) => r.method === 'floor'));
  console.log('');
  console.log(`the floor's time (run ${f.n}, the median by wall: ${ms(f.wallMs)}; serving after ${ms(f.servingMs)}):`);
  for (const x of f.steps) line(x.label, x.ms);
}

function printCliBreakdown(name: string, s: RunResult): void {
  console.log('');
  console.log(`where ${name}'s time goes (run ${s.n}, the median by wall: ${ms(s.wallMs)}; serving after ${ms(s.servingMs)}):`);
  const c = s.clock;
  const deployMs = s.deployMs ?? 0;
  const stepSum = s.steps.reduce((a, x) => a + x.ms, 0);
  if (!c) {
    for (const x of s.steps) line(`step: ${x.label}`, x.ms);
    return;
  }
  line('spawn → node booted (preload runs)', c.boot - c.spawn);
  line('node booted → first Engine API call (imports, fleet load, desire)', c.firstApi - c.boot);
  line('Engine API phase (first call → last response)', c.lastApiEnd - c.firstApi);
  for (const x of s.steps) line(`  step: ${x.label}`, x.ms);
  line('  deploy() outside steps (checks not overlapped, history write, prune)', deployMs - stepSum);
  line('  outside deploy() (session; audit "ok"; unlock)', c.lastApiEnd - c.firstApi - deployMs);
  line('last Engine response → process exit (print, close, event loop drains)', c.exit - c.lastApiEnd);
  line('process exit → close seen by the bench', c.close - c.exit);
  console.log(`    (${c.apiCalls} Engine API requests; the proxy served the new release ${ms(s.startEpochMs + s.servingMs - c.firstApi)} after the first one)`);
}

function printTrace(events: TraceEvent[], wallMs: number): void {
  console.log('');
  console.log(`in-process traced deploy (no CLI startup; ${ms(wallMs)} from main() to return): Engine API calls by operation`);
  const byOp = new Map<string, { n: number; ms: number }>();
  for (const e of events.filter((e) => e.kind !== 'step')) {
    const op = e.kind === 'dial' ? 'dial (health probe)' : e.what.slice(0, e.what.indexOf('('));
    const o = byOp.get(op) ?? { n: 0, ms: 0 };
    o.n++;
    o.ms += e.ms;
    byOp.set(op, o);
  }
  const total = [...byOp.values()].reduce((a, o) => ({ n: a.n + o.n, ms: a.ms + o.ms }), { n: 0, ms: 0 });
  for (const [op, o] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) console.log(`    ${op.padEnd(24)} ${pad(o.n, 3)} calls  ${pad(ms(o.ms), 8)}`);
  console.log(`    ${'total'.padEnd(24)} ${pad(total.n, 3)} calls  ${pad(ms(total.ms), 8)}  (sequential: no two calls overlap)`);
  console.log('');
  console.log("  timeline (start offset, duration, call; → / ✓ are the CLI's step lines):");
  for (const e of events) {
    if (e.kind === 'step') console.log(`    ${pad(Math.round(e.at), 5)}            ${e.what}`);
    else console.log(`    ${pad(Math.round(e.at), 5)}  ${pad(Math.round(e.ms), 5)} ms  ${e.what}`);
  }
}

// ---------------------------------------------------------------------------------------------

const BENCH_CLI = `${ROOT}node_modules/.cache/slipway-bench/cli`;

/** Bundles the CLI from the current sources; which bundle to run (undefined: bin/slipway.mjs) and what the header says. */
function buildCli(): { bundle?: string; says: string } {
  // To compare with another version of the CLI: BENCH_CLI=path/to/its/dist/slipway.cjs (or an older build's dist/slipway.mjs).
  const given = process.env.BENCH_CLI;
  if (given) return { bundle: given, says: `the bundle ${given} (BENCH_CLI), started as bin/slipway.mjs starts dist/` };
  const t = performance.now();
  const r = spawnSync(process.execPath, [`${ROOT}scripts/build-cli.mjs`, BENCH_CLI], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0 && !out.includes('could not prebuild') && existsSync(`${BENCH_CLI}/slipway.cjs`))
    return {
      bundle: `${BENCH_CLI}/slipway.cjs`,
      says: `a bundle of the current sources, built now (${ms(performance.now() - t)}), started as bin/slipway.mjs starts dist/`,
    };
  const stale = bundleStaleness();
  return {
    says: `bin/slipway.mjs, since the bundle could not be built (${out.split('\n')[0]}): it runs ${stale === undefined ? 'dist/slipway.cjs' : `the SOURCES THROUGH TSX (${stale}), so CLI startup includes TypeScript compilation and the ratio is not the product's`}`,
  };
}

/** Round i's order: ABBA for two methods; with a baseline, every order of the three in turn. */
function orderOf(i: number, withBaseline: boolean): Method[] {
  if (!withBaseline) return i % 2 === 0 ? ['slipway', 'floor'] : ['floor', 'slipway'];
  const all: Method[][] = [
    ['slipway', 'floor', 'baseline'],
    ['baseline', 'slipway', 'floor'],
    ['floor', 'baseline', 'slipway'],
    ['slipway', 'baseline', 'floor'],
    ['floor', 'slipway', 'baseline'],
    ['baseline', 'floor', 'slipway'],
  ];
  return all[i % all.length]!;
}

async function main(): Promise<number> {
  const cli = buildCli();
  // Another CLI build to compare with, side by side (e.g. the previous commit's dist/slipway.mjs).
  const baseline = process.env.BENCH_BASELINE;
  const engine = await ensureEngine();
  await ensureImages(['node', 'caddy']);
  console.log(`deploy benchmark — local Docker engine ${engine.serverVersion}, Caddy proxy, one web process (echo app) with HTTP health /health`);
  console.log(`  slipway: \`node bin/slipway.mjs deploy ${APP} ${ENV} --image TAG --drain 0 --json\` as a child process (CLI startup included)`);
  console.log(`  the CLI is ${cli.says}`);
  if (baseline) console.log(`  baseline: the same deploy by the CLI bundle ${baseline} (BENCH_BASELINE), interleaved with the other two`);
  console.log(
    `  floor:   in-process Engine API calls: list old, create (+ connect edge net), start, HTTP health from the host every ${FLOOR_POLL_MS} ms, putArchive + caddy reload, stop old`,
  );
  console.log(
    `  machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} at start (the engine is shared; ABBA order spreads the noise)`,
  );
  console.log('  both: drain 0, same proxy/networks/aliases, alternate image tags a/b; 20 keep-alive connections of load through the proxy during every run');
  let p: BenchProject | undefined;
  let failed: Error | undefined;
  const onSigint = () => void (p?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once('SIGINT', onSigint);
  try {
    const bundle = cli.bundle;
    p = await createProject(
      bundle
        ? async (args, cwd) => {
            const r = await clockedSlipway(args, cwd, bundle);
            if (r.code !== 0) throw new DeployFailed(`slipway ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
            return r;
          }
        : undefined,
    );
    const first = JSON.parse((await p.cli(['deploy', APP, ENV, '--image', p.tags[0], '--drain', '0', '--json'])).stdout) as { release: string };
    let serving: Serving = { release: first.release, tag: 0 };
    if ((await servedRelease(p.port, p.host)) !== first.release) throw new DeployFailed(`first deploy: the proxy does not serve ${first.release}`);
    const run = await p.run();
    let floorN = 0;
    const nextFloorRelease = () => `f${String(++floorN).padStart(2, '0')}`;
    // Warm-up (not reported): one floor switch and one slipway switch.
    [, serving] = await floorRun(p, run, 0, serving, nextFloorRelease());
    await sleep(SETTLE_MS);
    [, serving] = await slipwayRun(p, run, 0, serving, cli.bundle);
    if (baseline) {
      await sleep(SETTLE_MS);
      [, serving] = await slipwayRun(p, run, 0, serving, baseline, 'baseline');
    }
    await sleep(SETTLE_MS);

    const results: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      const order = orderOf(i, baseline !== undefined);
      for (const m of order) {
        let r: RunResult;
        [r, serving] =
          m === 'floor'
            ? await floorRun(p, run, i + 1, serving, nextFloorRelease())
            : await slipwayRun(p, run, i + 1, serving, m === 'slipway' ? cli.bundle : baseline, m);
        results.push(r);
        console.log(
          `  run ${i + 1} ${m.padEnd(7)} serving ${pad(ms(r.servingMs), 8)}  wall ${pad(ms(r.wallMs), 8)}  non-2xx ${non2xx(r.load)}  errors ${errors(r.load)}`,
        );
        await sleep(SETTLE_MS);
      }
    }
    console.log(
      `  load average at the end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    printRuns(results);
    printFailureTimes(results);
    summarize(results);
    printBreakdowns(results);

    // One more slipway deploy in-process, every Engine call timed.
    const image = tagOf(p, 1 - serving.tag);
    const load = await startLoadProcess(p.port, p.host);
    // In process, from the sources: a working tree that others are editing may not run; the
    // measured results above stand without it.
    const trace = await tracedDeploy(p.dir, ['deploy', APP, ENV, '--image', image, '--drain', '0']).catch((e: Error) => ({
      code: 1,
      stdout: '',
      stderr: e.message,
    }));
    await sleep(TAIL_MS);
    const report = await load.stop();
    if (trace.code !== 0 || !('events' in trace)) {
      console.log(`\n(the in-process traced deploy did not run: ${trace.stderr.trim().split('\n')[0]})`);
      return 0;
    }
    const release = /release (\S+)/.exec(trace.stdout)?.[1] ?? '<release>';
    printTrace(
      trace.events.map((e) => ({ ...e, what: e.what.replaceAll(release, '<release>').replaceAll(p!.project, '{p}') })),
      trace.wallMs,
    );
    const when = report.failures.map((x) => `${x.count} ${x.kind} @ +${Math.round(x.epochMs - trace.startEpochMs)}`).join(', ');
    console.log(
      `  (load during the traced run: ${non2xx(report)} non-2xx, ${errors(report)} errors of ${report.requests} requests${when ? `; noticed ${when} ms` : ''})`,
    );
  } catch (e) {
    failed = e as Error;
  } finally {
    if (p) await p.cleanup();
    process.removeListener('SIGINT', onSigint);
  }
  if (failed) {
    process.stderr.write(`error: ${failed instanceof DeployFailed ? failed.message : (failed.stack ?? failed.message)}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
