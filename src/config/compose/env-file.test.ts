// env_file parsing: quoting, comments, export, multi-line values and bad lines.
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file.ts';

describe('parseEnvFile', () => {
  it.each([
    ['A=1', { A: '1' }],
    ['export A=1', { A: '1' }],
    ['  A = spaced  ', { A: 'spaced' }],
    ['A=x # comment', { A: 'x' }],
    ['A=x#not-a-comment', { A: 'x#not-a-comment' }],
    ['A="x # kept"', { A: 'x # kept' }],
    ["A='${LITERAL}'", { A: '${LITERAL}' }],
    ['A="tab\\there \\"q\\""', { A: 'tab\there "q"' }],
    ['A="one\ntwo"\nB=2', { A: 'one\ntwo', B: '2' }],
    ['A=', { A: '' }],
    ['A=a=b', { A: 'a=b' }],
    ['# only a comment\n\nB=2', { B: '2' }],
    ['\uFEFFA=bom', { A: 'bom' }],
  ])('%j', (text, expected) => {
    const r = parseEnvFile(text);
    expect(Object.fromEntries(r.entries.map((e) => [e.key, e.value]))).toEqual(expected);
    expect(r.problems).toEqual([]);
  });

  it('marks single-quoted values as literal', () => {
    expect(parseEnvFile('A=\'x\'\nB="y"\nC=z').entries.map((e) => e.interpolate)).toEqual([false, true, true]);
  });

  it('reports bad lines with their position', () => {
    expect(parseEnvFile('A=1\nJUST_KEY\n  1BAD=x\nC="open').problems).toEqual([
      { line: 2, col: 1, message: 'JUST_KEY has no value (compose would take it from the shell; Slipway reads no shell environment)' },
      { line: 3, col: 3, message: '"1BAD" is not a valid variable name' },
      { line: 4, col: 1, message: 'C: unterminated " quote' },
    ]);
  });
});
