// Runs the fuzzer (test/fuzz/child.ts) in a child process per kind, with a watchdog: an input that
// has not finished after `hangMs` of wall-clock time gets its process killed (by PID) and is
// reported as a hang with its mutation; the child fails an input over 1 s of CPU that also costs 4× its unmutated seed (child.ts).
// Used by test/fuzz.test.ts (a sample in the unit suite) and by `npm run fuzz` (the full count):
//   npx tsx test/fuzz/run.ts [--runs 10000] [--seed N] [--kind fleet|compose]
// A failing input is written to $TMPDIR/slipway-fuzz/<kind>-<seed>.yaml (keep it as a regression
// fixture under test/fixtures/fuzz/).
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildMessage, Kind } from './child.ts';
import type { Mutation } from './mutate.ts';
import { ROOT } from './seeds.ts';

export interface FuzzReport {
  kind: Kind;
  seed: number;
  runs: number;
  seconds: number;
  maxCpuMs: number;
  slowest?: Mutation;
  reached: Record<string, number>;
  failure?: { error: string; input: Mutation; text: string; seedName: string; savedTo: string };
}

export interface FuzzOptions {
  kind: Kind;
  runs: number;
  seed?: number;
  /** Wall-clock time one input may take before its process is killed. Default 60 s (a loaded machine is slow; CPU time is checked in the child). */
  hangMs?: number;
  onProgress?: (done: number) => void;
}

function save(kind: Kind, seed: number, text: string): string {
  const dir = join(tmpdir(), 'slipway-fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-${seed}.yaml`);
  writeFileSync(file, text);
  return file;
}

export function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const hangMs = o.hangMs ?? 60_000;
  const started = Date.now();
  const child = fork(join(import.meta.dirname, 'child.ts'), [o.kind, String(o.runs), String(seed)], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let current: { n: number; input: Mutation } | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    let result: Extract<ChildMessage, { t: 'result' }> | undefined;
    let hang: FuzzReport['failure'];
    const report = (): FuzzReport => ({
      kind: o.kind,
      seed,
      runs: result?.runs ?? current?.n ?? 0,
      seconds: (Date.now() - started) / 1000,
      maxCpuMs: result?.maxCpuMs ?? 0,
      ...(result?.slowest ? { slowest: result.slowest } : {}),
      reached: result?.reached ?? {},
      ...(hang ? { failure: hang } : result?.failure ? { failure: { ...result.failure, savedTo: save(o.kind, seed, result.failure.text) } } : {}),
    });
    child.on('message', (m: ChildMessage) => {
      if (m.t === 'start') {
        current = { n: m.n, input: m.input };
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          if (!current || child.pid === undefined) return;
          // The text is rebuilt from the mutation, here, by the same deterministic code.
          void import('./child.ts').then(({ subject }) => {
            const s = subject(o.kind);
            const text = s.text(current!.input);
            s.close();
            hang = {
              error: `hang: input ${current!.n} still running after ${hangMs} ms`,
              input: current!.input,
              text,
              seedName: s.seedName(current!.input.seed),
              savedTo: save(o.kind, seed, text),
            };
            process.kill(child.pid!, 'SIGKILL');
          });
        }, hangMs);
      } else if (m.t === 'done') {
        clearTimeout(watchdog);
        o.onProgress?.(m.n + 1);
      } else if (m.t === 'result') result = m;
    });
    child.on('error', reject);
    // 'close', not 'exit': 'exit' can come before the last messages on the IPC channel were read.
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (result || hang) return resolve(report());
      reject(
        new Error(`fuzz ${o.kind} child exited (${signal ?? code}) without a result, after input ${current?.n ?? 'none'}: ${JSON.stringify(current?.input)}`),
      );
    });
  });
}

const brief = (m: Mutation): string =>
  JSON.stringify(m, (_k, v) => (typeof v === 'string' && v.length > 60 ? `${v.slice(0, 20)}…(${v.length} characters)` : v));

export function describeReport(r: FuzzReport): string {
  const stages = Object.entries(r.reached)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const head = `fuzz ${r.kind}: ${r.runs} inputs in ${r.seconds.toFixed(1)} s (seed ${r.seed}; reached: ${stages}; max ${r.maxCpuMs.toFixed(0)} ms CPU for one input${r.slowest ? `: ${brief(r.slowest)}` : ''})`;
  if (!r.failure) return head;
  const f = r.failure;
  return [
    head,
    `FAILED: ${f.error}`,
    `seed file: ${f.seedName}`,
    `mutation: ${brief(f.input)}`,
    `input saved to ${f.savedTo}; replay with: npx tsx test/fuzz/run.ts --kind ${r.kind} --seed ${r.seed}`,
    '--- input (first 3000 characters) ---',
    f.text.slice(0, 3000),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let runs = 10_000;
  let seed: number | undefined;
  let kinds: Kind[] = ['fleet', 'compose'];
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--runs' && Number(v) > 0) runs = Number(v);
    else if (flag === '--seed' && Number.isInteger(Number(v))) seed = Number(v);
    else if (flag === '--kind' && (v === 'fleet' || v === 'compose')) kinds = [v];
    else {
      process.stderr.write('usage: npx tsx test/fuzz/run.ts [--runs N] [--seed N] [--kind fleet|compose]\n');
      return 2;
    }
  }
  const reports = await Promise.all(kinds.map((kind) => runFuzz({ kind, runs, ...(seed !== undefined ? { seed } : {}) })));
  for (const r of reports) process.stdout.write(`${describeReport(r)}\n`);
  return reports.some((r) => r.failure) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
