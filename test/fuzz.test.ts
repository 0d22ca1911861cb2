// The fuzzer in the unit suite: a sample of mutated fleet files and mutated compose files (a new
// random seed each run, printed on failure) through load, compose import, desire, diff, check and
// every renderer (test/fuzz/). A crash, an input over 1 s of CPU and 4× its unmutated seed, a hung input, or a stack trace in
// the diagnostics fails. The full count (10 000 of each) runs in `npm run fuzz`, which CI runs
// (scripts/ci.sh); SLIPWAY_FUZZ_RUNS sets the sample size here.
import { describe, expect, it } from 'vitest';
import { describeReport, runFuzz } from './fuzz/run.ts';

const RUNS = Number(process.env.SLIPWAY_FUZZ_RUNS ?? 300);

describe('fuzzer (sample)', () => {
  it.concurrent.each(['fleet', 'compose'] as const)(
    `%s files: ${RUNS} mutated inputs, no crash or hang`,
    async (kind) => {
      const report = await runFuzz({ kind, runs: RUNS });
      expect(report.failure, describeReport(report)).toBeUndefined();
      expect(report.runs).toBe(RUNS);
      // The mutations must leave some inputs valid, or only the loader would ever be fuzzed.
      expect(report.reached.render ?? 0, describeReport(report)).toBeGreaterThan(0);
    },
    600_000,
  );
});
