// The fuzzer's findings, kept as minimal inputs in test/fixtures/fuzz/ (fleet-*.yaml: a fleet
// file; compose-*.yml: a compose file imported with init --from): each goes through the fuzzer's
// pipeline (test/fuzz/pipeline.ts: no exception, no stack trace or JavaScript error text in the
// diagnostics) and ends with the diagnostic that now names the problem. Before its fix, each of
// them crashed or hung. The outcome of every fixture is in the golden outcomes.txt beside them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SYNTAX_DIAGNOSTICS } from '../src/config/yaml-source.ts';
import { type Outcome, runCompose, runFleet } from './fuzz/pipeline.ts';

const DIR = resolve(import.meta.dirname, 'fixtures', 'fuzz');

/** The diagnostic each fixture must end with. */
const EXPECTED: Record<string, string> = {
  'fleet-nul-domain.yaml': 'invalid-domain',
  'fleet-alias-bomb.yaml': 'yaml-aliases',
  'fleet-deep-nesting.yaml': 'yaml-too-deep',
  'fleet-collection-key.yaml': 'bad-key',
  // 20,000 syntax errors: reported as the first 50 and one that counts the rest (their
  // conversion was quadratic: ~1 s of CPU).
  'fleet-syntax-storm.yaml': 'yaml-syntax',
  'compose-alias-bomb.yml': 'yaml-aliases',
  'compose-deep-nesting.yml': 'yaml-too-deep',
  // langfuse's compose with a 5,000-deep flow map: V8 ran out of stack compiling one of the YAML
  // library's regular expressions and threw a SyntaxError, not a RangeError (CI run 10's fuzz).
  'compose-deep-flow-map.yml': 'yaml-too-deep',
  'compose-long-container-name.yml': 'bad-alias',
  'compose-prototype-names.yml': 'env-from-shell',
};

const work = mkdtempSync(join(tmpdir(), 'slipway-fuzz-regressions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = readdirSync(DIR)
  .filter((f) => /^(fleet|compose)-.*\.ya?ml$/.test(f))
  .sort();

function run(name: string): Outcome {
  const text = readFileSync(join(DIR, name), 'utf8');
  if (name.startsWith('fleet-')) return runFleet(join(DIR, name), text);
  return runCompose(join(work, name.replace(/\.ya?ml$/, '')), 'compose.yml', text);
}

describe('fuzzer findings', () => {
  const outcomes: string[] = [];

  it.each(files)('%s goes through the pipeline without a crash', (name) => {
    const out = run(name);
    outcomes.push(`${name}: reached ${out.reached.join(' → ')}; ${[...new Set(out.codes)].sort().join(', ') || 'no diagnostics'}`);
    const expected = EXPECTED[name];
    // However broken the file, the report stays readable.
    expect(out.codes.length).toBeLessThanOrEqual(MAX_SYNTAX_DIAGNOSTICS + 1);
    if (expected) expect(out.codes).toContain(expected);
    // Without an expected diagnostic, the input is valid: it must get all the way through.
    else expect(out.reached.at(-1)).toBe('render');
  });

  it('every fixture is accounted for, and the outcomes match their golden', async () => {
    expect(files.length).toBeGreaterThanOrEqual(Object.keys(EXPECTED).length);
    for (const name of Object.keys(EXPECTED)) expect(files).toContain(name);
    await expect(`${outcomes.sort().join('\n')}\n`).toMatchFileSnapshot(join(DIR, 'outcomes.txt'));
  });
});
