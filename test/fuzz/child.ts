// The fuzzer's worker process (started by test/fuzz/run.ts with `node --import tsx`): runs
// fast-check over mutated fleet or compose files through the pipeline (pipeline.ts) and reports
// over IPC. Before each input it sends `start` with the mutation, so the parent can name the input
// if this process hangs; each input's CPU time is measured here. An input over 1 s is timed again,
// with its unmutated seed beside it: it fails when it is still over 1 s and over SEED_RATIO times
// what its seed takes now (the largest seeds, sentry's 40 services, take ~0.5–1 s on their own).
//   argv: fleet|compose RUNS SEED
import fc from 'fast-check';
import { type Mutation, Mutator, mutation } from './mutate.ts';
import { FuzzFailure, runCompose, runFleet } from './pipeline.ts';
import { ComposeWorkdirs, composeSeeds, fleetSeeds } from './seeds.ts';

export type Kind = 'fleet' | 'compose';

export const CPU_LIMIT_MS = 1000;
/** A slow input costs this many times its unmutated seed, timed beside it. */
export const SEED_RATIO = 4;

export type ChildMessage =
  | { t: 'start'; n: number; input: Mutation }
  | { t: 'done'; n: number; cpuMs: number }
  | {
      t: 'result';
      runs: number;
      /** Inputs whose pipeline reached each stage. */
      reached: Record<string, number>;
      maxCpuMs: number;
      /** The input that took the most CPU time. */
      slowest?: Mutation;
      failure?: { input: Mutation; text: string; seedName: string; error: string; shrinks: number };
    };

/** One input: the text of the mutated seed, and a function that runs it through the pipeline. */
export interface Subject {
  seeds: number;
  seedName(i: number): string;
  text(m: Mutation): string;
  run(m: Mutation, text: string): string[];
  close(): void;
}

export function subject(kind: Kind): Subject {
  const mu = new Mutator();
  if (kind === 'fleet') {
    const seeds = fleetSeeds();
    return {
      seeds: seeds.length,
      seedName: (i) => seeds[i]!.file,
      text: (m) => mu.mutate(seeds[m.seed]!.text, m),
      run: (m, text) => runFleet(seeds[m.seed]!.file, text).reached,
      close: () => {},
    };
  }
  const seeds = composeSeeds();
  const dirs = new ComposeWorkdirs();
  return {
    seeds: seeds.length,
    seedName: (i) => `${seeds[i]!.source}/${seeds[i]!.name}`,
    text: (m) => mu.mutate(seeds[m.seed]!.text, m),
    run: (m, text) => runCompose(dirs.dir(seeds[m.seed]!), seeds[m.seed]!.name, text).reached,
    close: () => dirs.remove(),
  };
}

async function main(argv: string[]): Promise<void> {
  const [kind, runs, seed] = [argv[0] as Kind, Number(argv[1]), Number(argv[2])];
  const send = (m: ChildMessage) => process.send?.(m);
  const s = subject(kind);
  const reached: Record<string, number> = {};
  let n = 0;
  let maxCpuMs = 0;
  let slowest: Mutation | undefined;
  const property = fc.asyncProperty(mutation(s.seeds), async (m) => {
    // Yield once per input, so IPC messages leave even when the pipe is momentarily full.
    await new Promise((r) => setImmediate(r));
    const i = n++;
    send({ t: 'start', n: i, input: m });
    const text = s.text(m);
    const timed = (): [string[], number] => {
      const cpu0 = process.cpuUsage();
      const stages = s.run(m, text);
      const used = process.cpuUsage(cpu0);
      return [stages, (used.user + used.system) / 1000];
    };
    let [stages, cpuMs] = timed();
    let limitMs = CPU_LIMIT_MS;
    let seedMs = 0;
    // Over the limit once may be a busy machine (CPU time grows with contention) or a big seed: the
    // input is timed again, and its unmutated seed beside it.
    if (cpuMs > CPU_LIMIT_MS) {
      [stages, cpuMs] = timed();
      const base = s.text({ seed: m.seed, structural: [], textual: [] });
      const cpu0 = process.cpuUsage();
      s.run(m, base);
      const used = process.cpuUsage(cpu0);
      seedMs = (used.user + used.system) / 1000;
      limitMs = Math.max(CPU_LIMIT_MS, SEED_RATIO * seedMs);
    }
    if (cpuMs > maxCpuMs) [maxCpuMs, slowest] = [cpuMs, m];
    send({ t: 'done', n: i, cpuMs });
    if (cpuMs > limitMs)
      throw new FuzzFailure(
        'hang',
        `${cpuMs.toFixed(0)} ms of CPU for one input (limit ${CPU_LIMIT_MS} ms, or ${SEED_RATIO}× its unmutated seed: ${seedMs.toFixed(0)} ms)`,
      );
    for (const st of stages) reached[st] = (reached[st] ?? 0) + 1;
  });
  const out = await fc.check(property, { numRuns: runs, seed });
  s.close();
  const result: ChildMessage = { t: 'result', runs: out.numRuns, reached, maxCpuMs, ...(slowest ? { slowest } : {}) };
  if (out.failed) {
    const error = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance ?? 'failed');
    const input = out.counterexample?.[0];
    result.failure = input
      ? { input, text: s.text(input), seedName: s.seedName(input.seed), error, shrinks: out.numShrinks }
      : { input: { seed: 0, structural: [], textual: [] }, text: '', seedName: '', error, shrinks: out.numShrinks };
  }
  // Disconnect only once the result is written: messages still queued in this process (the parent
  // reads slowly on a busy machine) are dropped by a disconnect, and the parent then sees an exit
  // without a result.
  await new Promise<void>((resolve) => (process.send ? process.send(result, () => resolve()) : resolve()));
  process.disconnect?.();
}

if (process.send) await main(process.argv.slice(2));
