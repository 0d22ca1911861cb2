// Environment names from user input: lowercased, checked against the fleet schema's rule, no
// duplicates, and a suggestion for a name that can be fixed.
import { describe, expect, it } from 'vitest';
import { nameProblem, normalizeEnvNames } from './env-names.ts';
import { NAME_HINT, NAME_RE } from './schema.ts';

describe('normalizeEnvNames', () => {
  it.each([
    ['staging,prod', ['staging', 'prod']],
    ['Staging, PROD', ['staging', 'prod']],
    [' dev ,, qa-2 ', ['dev', 'qa-2']],
  ])('%j → %j', (input, names) => {
    const r = normalizeEnvNames(input);
    expect(r).toEqual({ names, problems: [] });
    for (const n of r.names) expect(NAME_RE.test(n)).toBe(true);
  });

  it.each([
    ['', 'no environment names given'],
    ['prod,Prod', 'environment "prod" is given twice'],
    ['qa_1', 'invalid environment name "qa_1"'],
    ['QA_1', 'invalid environment name "qa_1" (from "QA_1")'],
    ['1st', 'invalid environment name "1st"'],
    ['-x', 'invalid environment name "-x"'],
    ['a'.repeat(41), `environment name "${'a'.repeat(41)}" is longer than 40 characters`],
  ])('%j is refused: %s', (input, message) => {
    expect(normalizeEnvNames(input).problems.map((p) => p.message)).toEqual([message]);
  });

  it('suggests a fixed name when there is one', () => {
    expect(nameProblem('qa_1', 'environment')?.hint).toMatch(/e\.g\. "qa-1"$/);
    expect(nameProblem('My Shop', 'project')?.hint).toMatch(/e\.g\. "my-shop"$/);
    expect(nameProblem('123', 'project')?.hint).toBe(NAME_HINT);
    expect(nameProblem('shop', 'project')).toBeUndefined();
  });
});
