// Tests for shellQuote: exact strings for a table of words, and a round trip through a real
// POSIX shell (/bin/sh), which must split the line back into exactly the same argv.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote, shellQuoteWord } from './ssh-quote.ts';

const TABLE: [string, string][] = [
  ['ls', 'ls'],
  ['/var/lib/slipway', '/var/lib/slipway'],
  ['a=b,c:d@e%f+g', 'a=b,c:d@e%f+g'],
  ['', "''"],
  ['two words', "'two words'"],
  ["it's", `'it'"'"'s'`],
  ["'", `"'"`],
  ["a'b'c", `'a'"'"'b'"'"'c'`],
  ["''", `"''"`],
  ['$HOME', "'$HOME'"],
  ['`id`', "'`id`'"],
  ['$(id)', "'$(id)'"],
  ['a;b', "'a;b'"],
  ['a&&b', "'a&&b'"],
  ['a|b', "'a|b'"],
  ['>file', "'>file'"],
  ['*', "'*'"],
  ['~', "'~'"],
  ['-n', '-n'],
  ['a\\b', "'a\\b'"],
  ['"q"', `'"q"'`],
  ['line1\nline2', "'line1\nline2'"],
  ['tab\there', "'tab\there'"],
  ['!', "'!'"],
  ['#c', "'#c'"],
  ['ünïcode', "'ünïcode'"],
];

describe('shellQuote', () => {
  it.each(TABLE)('quotes %j as %s', (word, want) => {
    expect(shellQuoteWord(word)).toBe(want);
  });

  it('joins words with spaces', () => {
    expect(shellQuote(['docker', 'run', '--name', 'a b', "it's"])).toBe(`docker run --name 'a b' 'it'"'"'s'`);
  });

  it('refuses an empty argv and NUL bytes', () => {
    expect(() => shellQuote([])).toThrow(/empty command/);
    expect(() => shellQuote(['a\0b'])).toThrow(/NUL/);
  });

  it('round-trips every table word through /bin/sh', () => {
    const words = TABLE.map(([w]) => w);
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellQuote(words)}`]);
    const got = out.toString('utf8').split('\0').slice(0, -1);
    expect(got).toEqual(words);
  });
});
